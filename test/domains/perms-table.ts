/**
 * The permission matrix the domain tests check, written out by hand from the rules, never taken
 * from the daemon's answers.
 *
 * The rules (docs/misc/xenstore.txt "Permissions", and C xenstored's perm_for_conn):
 * - a privileged caller, the owner (first entry), and a caller whose SET_TARGET target is the
 *   owner, have every right, including the owner's right to change perms;
 * - otherwise the first later entry naming the caller, its target or DOMID_ANY (32756) decides,
 *   skipping stale entries (written before the domain they name went away);
 * - otherwise the owner entry's letter applies: n none, r read, w write, b both.
 *
 * The cast. Guests 1 and 2 are plain; guest 3 is a device model: SET_TARGET 3 -> 1 gives it the
 * rights of 1. Guest 5 is introduced, named in the "stale" rows, released and introduced again:
 * it is a new domain with an old id, and must inherit nothing from the entries written for the
 * old one.
 */

export const CALLERS = [1, 2, 3, 5] as const;
export type CallerId = (typeof CALLERS)[number];
/** The domain SET_TARGET makes domain 3 act for. */
export const TARGET_OF: Partial<Record<CallerId, number>> = { 3: 1 };
/** The domain released and introduced again between the two phases of node creation. */
export const REUSED = 5;
/** DOMID_ANY: an entry that names every domain. */
export const ANY = 32756;

/** R read, W write, O owner (may change perms); '' nothing. */
export type Access = '' | 'R' | 'W' | 'RW' | 'RWO';

export interface Row {
	name: string;
	/** The node's perms; `{me}` stands for the caller's own domid. */
	perms: string[];
	/** Written before REUSED is released (its entries naming REUSED become stale). */
	beforeRelease?: boolean;
	/** The caller's rights on the node, by caller. */
	access: Record<CallerId, Access>;
}

const all = (a: Access): Record<CallerId, Access> => ({ 1: a, 2: a, 3: a, 5: a });

export const ROWS: Row[] = [
	// Ownership.
	{ name: 'owner', perms: ['n{me}'], access: all('RWO') },
	{ name: 'owner-default-b', perms: ['b{me}'], access: all('RWO') },
	{ name: 'owned-by-2', perms: ['n2'], access: { 1: '', 2: 'RWO', 3: '', 5: '' } },
	{ name: 'owned-by-2-entry-b1', perms: ['n2', 'b1'], access: { 1: 'RW', 2: 'RWO', 3: 'RW', 5: '' } },
	{ name: 'owned-by-1-default-w', perms: ['w1'], access: { 1: 'RWO', 2: 'W', 3: 'RWO', 5: 'W' } },
	// The owner's letter is everybody's default.
	{ name: 'default-n', perms: ['n0'], access: all('') },
	{ name: 'default-r', perms: ['r0'], access: all('R') },
	{ name: 'default-w', perms: ['w0'], access: all('W') },
	{ name: 'default-b', perms: ['b0'], access: all('RW') },
	// An entry naming the caller.
	{ name: 'entry-r', perms: ['n0', 'r{me}'], access: all('R') },
	{ name: 'entry-w', perms: ['n0', 'w{me}'], access: all('W') },
	{ name: 'entry-b', perms: ['n0', 'b{me}'], access: all('RW') },
	{ name: 'entry-n-over-default-b', perms: ['b0', 'n{me}'], access: all('') },
	{ name: 'first-entry-wins', perms: ['n0', 'r{me}', 'b{me}'], access: all('R') },
	// Entries for another domain only.
	{ name: 'entry-for-2-only', perms: ['n0', 'b2'], access: { 1: '', 2: 'RW', 3: '', 5: '' } },
	{ name: 'entry-for-2-default-r', perms: ['r0', 'w2'], access: { 1: 'R', 2: 'W', 3: 'R', 5: 'R' } },
	// SET_TARGET: 3 has the rights of 1, but its own entry comes first when it is first.
	{ name: 'entry-for-target', perms: ['n0', 'r1'], access: { 1: 'R', 2: '', 3: 'R', 5: '' } },
	{ name: 'target-owns', perms: ['n1'], access: { 1: 'RWO', 2: '', 3: 'RWO', 5: '' } },
	{ name: 'own-entry-before-target', perms: ['n0', 'w3', 'r1'], access: { 1: 'R', 2: '', 3: 'W', 5: '' } },
	// DOMID_ANY.
	{ name: 'any-r', perms: ['n0', `r${ANY}`], access: all('R') },
	{ name: 'any-b', perms: ['n0', `b${ANY}`], access: all('RW') },
	// perm_for_conn matches DOMID_ANY in the owner entry too: every domain is the owner.
	{ name: 'any-owns', perms: [`n${ANY}`], access: all('RWO') },
	{ name: 'entry-n1-before-any', perms: ['n0', 'n1', `b${ANY}`], access: { 1: '', 2: 'RW', 3: '', 5: 'RW' } },
	// Stale entries: written for the first domain 5, which has gone since.
	{ name: 'stale-entry', perms: ['n0', 'b5'], beforeRelease: true, access: all('') },
	{ name: 'stale-entry-default-r', perms: ['r0', 'w5'], beforeRelease: true, access: all('R') },
	{ name: 'stale-entry-then-any', perms: ['n0', 'b5', `r${ANY}`], beforeRelease: true, access: all('R') },
	// The same entry written for the new domain 5 counts.
	{ name: 'entry-for-new-5', perms: ['n0', 'b5'], access: { 1: '', 2: '', 3: '', 5: 'RW' } },
];

export function permsFor(row: Row, me: number): string[] {
	return row.perms.map((p) => p.replace('{me}', String(me)));
}

export const canRead = (a: Access): boolean => a.includes('R');
export const canWrite = (a: Access): boolean => a.includes('W');
export const isOwner = (a: Access): boolean => a.includes('O');

/** The perms a node created by `me` below a node with `parent` perms gets: a copy, owned by `me`. */
export function inherited(parent: string[], me: number): string[] {
	const [owner, ...rest] = parent;
	return [`${owner![0]}${me}`, ...rest];
}

/**
 * What an operation answers, given the caller's rights on the node it names or, for a missing
 * node, on its nearest existing ancestor (here always the row's node).
 *
 * C xenstored's get_node: a node the caller may not access is EACCES. A missing node is ENOENT
 * only if the nearest existing ancestor grants the access asked for (errno_from_parents);
 * otherwise EACCES, so that nobody learns what exists where they may not look. WRITE and MKDIR of
 * a missing node create it (the ancestor granting write); RM of a missing node whose parent
 * exists succeeds. SET_PERMS asks for write and owner rights; an unprivileged owner who names a
 * new owner gets EPERM.
 */
export const EXPECT = {
	readExisting: (a: Access) => (canRead(a) ? 'OK' : 'EACCES'),
	readMissing: (ancestor: Access) => (canRead(ancestor) ? 'ENOENT' : 'EACCES'),
	createBelow: (ancestor: Access) => (canWrite(ancestor) ? 'OK' : 'EACCES'),
	rmMissing: (parent: Access) => (canWrite(parent) ? 'OK' : 'EACCES'),
	setPermsMissing: (ancestor: Access) => (canWrite(ancestor) ? 'ENOENT' : 'EACCES'),
	writeExisting: (a: Access) => (canWrite(a) ? 'OK' : 'EACCES'),
	setPermsSameOwner: (a: Access) => (isOwner(a) ? 'OK' : 'EACCES'),
	setPermsNewOwner: (a: Access) => (isOwner(a) ? 'EPERM' : 'EACCES'),
	/** A watcher hears of a change if it may read the node (or its parent, never readable here). */
	event: (a: Access) => canRead(a),
} as const;
