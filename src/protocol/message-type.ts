/**
 * Xenstore message types, as numbered in xen/include/public/io/xs_wire.h.
 * A plain object rather than an enum so that the module stays erasable TypeScript.
 */
export const MessageType = {
	CONTROL: 0,
	DIRECTORY: 1,
	READ: 2,
	GET_PERMS: 3,
	WATCH: 4,
	UNWATCH: 5,
	TRANSACTION_START: 6,
	TRANSACTION_END: 7,
	INTRODUCE: 8,
	RELEASE: 9,
	GET_DOMAIN_PATH: 10,
	WRITE: 11,
	MKDIR: 12,
	RM: 13,
	SET_PERMS: 14,
	WATCH_EVENT: 15,
	ERROR: 16,
	IS_DOMAIN_INTRODUCED: 17,
	RESUME: 18,
	SET_TARGET: 19,
	/** 20 was RESTRICT; it has been removed and is invalid. */
	RESET_WATCHES: 21,
	DIRECTORY_PART: 22,
	GET_FEATURE: 23,
	SET_FEATURE: 24,
	GET_QUOTA: 25,
	SET_QUOTA: 26,
	INVALID: 0xffff,
} as const;

export type MessageTypeName = keyof typeof MessageType;
export type MessageTypeCode = (typeof MessageType)[MessageTypeName];

const namesByCode = new Map<number, MessageTypeName>(
	Object.entries(MessageType).map(([name, code]) => [code, name as MessageTypeName]),
);

/** The name of a message type, or undefined for a number no message type has. */
export function messageTypeName(code: number): MessageTypeName | undefined {
	return namesByCode.get(code);
}
