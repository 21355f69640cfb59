/**
 * Node permissions (docs/misc/xenstore.txt, "Permissions"). A node has one or more entries
 * `<letter><domid>`. The first names the owner, who has full access, and its letter is the access of
 * every domain without an entry of its own. An entry may be stale: it names a domain that has gone
 * away since it was written, and is ignored so that a new domain reusing the id inherits nothing.
 * Perms are immutable and shared: a new child shares its parent's array until someone changes it.
 */

export const Access = { NONE: 0, READ: 1, WRITE: 2, BOTH: 3 } as const;
export type AccessBits = number;

/** DOMID_ANY: an entry that matches every domain (feature DOMID_ANY). */
export const DOMID_ANY = 0x7ff4;
/** The "no target" value for a connection's target domid, as in the migration stream. */
export const DOMID_INVALID = 0x7ff4;

export interface PermEntry {
	readonly domid: number;
	readonly access: AccessBits;
	/** Marked stale where it came from (a migration stream, or a domain unknown when written). */
	readonly stale: boolean;
	/**
	 * Generation at which the entry was written. A domain that goes away after it makes it stale, so
	 * a later domain reusing the id inherits nothing; children share their parent's entries and
	 * with them this stamp.
	 */
	readonly since: number;
}

/** Decides whether an entry names a domain that has gone since the entry was written. */
export type StaleCheck = (entry: PermEntry) => boolean;

const neverStale: StaleCheck = (e) => e.stale;

export type Perms = readonly PermEntry[];

const LETTERS = ['n', 'r', 'w', 'b'] as const;

/**
 * Parse one perm string such as `b5`; undefined when it is not one. Domids are written in decimal,
 * 0..65535, without leading zeros: C xenstored would read `r010` as octal, so a form that two
 * daemons could read differently is refused rather than guessed at.
 */
export function parsePerm(s: string, since = 0): PermEntry | undefined {
	const access = LETTERS.indexOf(s[0] as (typeof LETTERS)[number]);
	if (access < 0 || s.length < 2 || s.length > 6) return undefined;
	if (s.length > 2 && s[1] === '0') return undefined;
	let domid = 0;
	for (let i = 1; i < s.length; i++) {
		const d = s.charCodeAt(i) - 48;
		if (d < 0 || d > 9) return undefined;
		domid = domid * 10 + d;
	}
	if (domid > 0xffff) return undefined;
	return { domid, access, stale: false, since };
}

export function formatPerm(p: PermEntry): string {
	return `${LETTERS[p.access]}${p.domid}`;
}

export function formatPerms(perms: Perms): string[] {
	return perms.map(formatPerm);
}

/** The owner of a node: the domain its first entry names. */
export function ownerOf(perms: Perms): number {
	return perms[0]!.domid;
}

/** Who is asking: the identity of a connection, as permission checks see it. */
export interface Caller {
	readonly domid: number;
	/** Dom0's socket and ring connections, and any connection acting for the control domain. */
	readonly privileged: boolean;
	/** A domain set by SET_TARGET: the caller has that domain's rights too. */
	readonly target: number | undefined;
}

export const PRIVILEGED_CALLER: Caller = { domid: 0, privileged: true, target: undefined };

function matches(caller: Caller, domid: number): boolean {
	return domid === caller.domid || domid === caller.target || domid === DOMID_ANY;
}

/**
 * The access a caller has to a node with these perms (perm_for_conn of C xenstored): everything
 * for privileged callers and owners, else the first live entry naming the caller or its target,
 * else the owner entry's letter. The owner entry matches like the others: a node owned by
 * DOMID_ANY is every domain's own.
 */
export function accessFor(caller: Caller, perms: Perms, isStale: StaleCheck = neverStale): AccessBits {
	if (caller.privileged) return Access.BOTH;
	const owner = perms[0]!;
	if (matches(caller, owner.domid)) return Access.BOTH;
	for (let i = 1; i < perms.length; i++) {
		const p = perms[i]!;
		if (!isStale(p) && matches(caller, p.domid)) return p.access;
	}
	return owner.access;
}

export function isOwner(caller: Caller, perms: Perms): boolean {
	return caller.privileged || matches(caller, perms[0]!.domid);
}

export function canRead(caller: Caller, perms: Perms, isStale?: StaleCheck): boolean {
	return (accessFor(caller, perms, isStale) & Access.READ) !== 0;
}

/** The perms a node created by `caller` inherits from its parent: unprivileged callers own it. */
export function inheritedPerms(caller: Caller, parent: Perms): Perms {
	if (caller.privileged || parent[0]!.domid === caller.domid) return parent;
	const owner: PermEntry = {
		domid: caller.domid,
		access: parent[0]!.access,
		stale: false,
		since: parent[0]!.since,
	};
	return Object.freeze([owner, ...parent.slice(1)]);
}

export const DEFAULT_PERMS: Perms = Object.freeze([
	Object.freeze({ domid: 0, access: Access.NONE, stale: false, since: 0 }),
]);
