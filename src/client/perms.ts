/**
 * Node permissions as the client sees them. On the wire each entry is a letter and a domid (`b0`,
 * `r5`): the first entry names the owner and gives the access of every domain not listed.
 */
export type Access = 'none' | 'read' | 'write' | 'both';

export interface Permission {
	domid: number;
	access: Access;
}

const letterOf: Record<Access, string> = { none: 'n', read: 'r', write: 'w', both: 'b' };
const accessOf: Record<string, Access> = { n: 'none', r: 'read', w: 'write', b: 'both' };

export function formatPermission(p: Permission): string {
	const letter = letterOf[p.access];
	if (letter === undefined) throw new TypeError(`unknown access ${String(p.access)}`);
	if (!Number.isInteger(p.domid) || p.domid < 0 || p.domid > 0xffff) {
		throw new RangeError(`domid ${p.domid} is not in 0..65535`);
	}
	return `${letter}${p.domid}`;
}

/** Parse one entry of a GET_PERMS reply; throws on anything a daemon should not send. */
export function parsePermission(s: string): Permission {
	const access = accessOf[s[0] ?? ''];
	const digits = s.slice(1);
	if (access === undefined || !/^[0-9]{1,5}$/.test(digits) || Number(digits) > 0xffff) {
		throw new Error(`daemon sent a malformed permission entry ${JSON.stringify(s)}`);
	}
	return { domid: Number(digits), access };
}
