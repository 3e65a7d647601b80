/** Kept in sync with package.json by a test (version-matches-package.test). */
export const VERSION = '0.1.0';
