/**
 * The error names a xenstore daemon may send, in the order of xsd_errors[] in xs_wire.h.
 * Errors travel as their names (`ENOENT\0`), never as numbers.
 */
export const ERROR_NAMES = [
	'EINVAL',
	'EACCES',
	'EEXIST',
	'EISDIR',
	'ENOENT',
	'ENOMEM',
	'ENOSPC',
	'EIO',
	'ENOTEMPTY',
	'ENOSYS',
	'EROFS',
	'EBUSY',
	'EAGAIN',
	'EISCONN',
	'E2BIG',
	'EPERM',
] as const;

export type ErrorName = (typeof ERROR_NAMES)[number];

const known = new Set<string>(ERROR_NAMES);

export function isErrorName(name: string): name is ErrorName {
	return known.has(name);
}

/**
 * A request failed with a xenstore error. Thrown by the store and by operations, turned into an
 * ERROR reply by the dispatcher; the client library throws it too, so callers can test `.code`.
 */
export class XenstoreError extends Error {
	readonly code: ErrorName;

	constructor(code: ErrorName, detail?: string) {
		// An answer, not a fault: where it was raised adds nothing to the code and detail, and
		// capturing a stack costs more than the rest of a failed read of a missing node.
		const limit = Error.stackTraceLimit;
		Error.stackTraceLimit = 0;
		super(detail ? `${code}: ${detail}` : code);
		Error.stackTraceLimit = limit;
		this.name = 'XenstoreError';
		this.code = code;
	}
}
