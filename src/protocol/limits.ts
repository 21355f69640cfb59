/** Limits fixed by the protocol (xs_wire.h); violating the payload limit costs the connection. */
export const HEADER_SIZE = 16;
export const PAYLOAD_MAX = 4096;
export const ABS_PATH_MAX = 3072;
export const REL_PATH_MAX = 2048;

/** Server feature bits (docs/misc/xenstore-ring.txt), advertised on rings and by GET_FEATURE. */
export const Feature = {
	RECONNECTION: 1,
	ERROR: 2,
	WATCHDEPTH: 4,
	DOMID_ANY: 8,
} as const;

/** Transaction ids and request ids are 32-bit unsigned on the wire. */
export const UINT32_MAX = 0xffffffff;
