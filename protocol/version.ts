// The protocol version orchd speaks. Bump PROTOCOL_VERSION on a breaking change and say so in CHANGELOG.md.
export const PROTOCOL_VERSION = 1;
/** The oldest client protocol version this build still serves. */
export const MIN_PROTOCOL_VERSION = 1;
