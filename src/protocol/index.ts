export { ERROR_NAMES, type ErrorName, isErrorName, XenstoreError } from './errors.ts';
export { encodeFrame, type Frame, FrameReader, PayloadTooLongError } from './frame.ts';
export { decodeHeader, HEADER_SIZE, type Header, writeHeader } from './header.ts';
export { ABS_PATH_MAX, Feature, PAYLOAD_MAX, REL_PATH_MAX } from './limits.ts';
export { MessageType, type MessageTypeCode, type MessageTypeName, messageTypeName } from './message-type.ts';
export { countStrings, joinStrings, oneArg, splitPathValue, splitStrings, stringPayload } from './payload.ts';
