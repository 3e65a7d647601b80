/** The library session: config, credentials, signal, logger and types for any ocm-ts program. */
export { createSession, type Session, type SessionOptions } from './session.js';
