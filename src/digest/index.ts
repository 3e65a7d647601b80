/** Public API of the digest layer: OCI digests, streaming verification and bounded reads. */
export {
  parseDigest, isDigest, formatDigest, digestOf, DigestingStream, verifying, digestStream, readAllBounded, Limits,
  type Digest, type DigestAlgorithm, type VerifyExpectation,
} from './digest.js';
