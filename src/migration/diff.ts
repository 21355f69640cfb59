/**
 * What differs between two migration states: nodes (value, perms), transaction nodes,
 * connections, watches, transactions, global data, quotas and domains. Connections are matched by
 * who they are (a domain's ring, a socket's fd), not by their conn-id, which each writer numbers
 * afresh; watches and transactions follow their connection.
 */
import { NO_TARGET } from './constants.ts';
import type { ConnectionDataRecord, NodeDataRecord, QuotaValue } from './records.ts';
import { escapeBytes, formatPerm } from './show.ts';
import type { MigrationState } from './state.ts';

export type Change = { readonly kind: '-' | '+' | '~'; readonly what: string; readonly detail: string };

function connectionKey(c: ConnectionDataRecord): string {
	return c.spec.kind === 'ring' ? `ring domid=${c.spec.domid}` : `socket fd=${c.spec.fd}`;
}

function connectionDetail(c: ConnectionDataRecord): string {
	const spec =
		c.spec.kind === 'ring'
			? `target=${c.spec.target === NO_TARGET ? 'none' : c.spec.target} evtchn=${c.spec.evtchn}`
			: '';
	const pending = `in=${quoted(c.pendingIn)} out=${quoted(c.pendingOut)} partial=${c.partialResponseLength}`;
	const id = c.uniqueId === undefined ? '' : ` unique-id=0x${c.uniqueId.toString(16)}`;
	return `${spec} ${pending}${id}`.trim();
}

const quoted = (b: Buffer | string) => `"${escapeBytes(b)}"`;
const perms = (n: NodeDataRecord) => `(${n.perms.map(formatPerm).join(',')})`;
const quotaText = (qs: readonly QuotaValue[]) => qs.map((q) => `${escapeBytes(q.name)}=${q.value}`).join(' ');

/** Compare keyed items: removed, added, and changed (by their detail text). */
function compare<T>(
	out: Change[],
	what: string,
	a: Iterable<T>,
	b: Iterable<T>,
	key: (t: T) => string,
	detail: (t: T) => string,
): void {
	const left = new Map<string, T>();
	for (const t of a) left.set(key(t), t);
	const right = new Map<string, T>();
	for (const t of b) right.set(key(t), t);
	for (const [k, t] of left) {
		const other = right.get(k);
		if (other === undefined) out.push({ kind: '-', what: `${what} ${k}`, detail: detail(t) });
		else {
			const [x, y] = [detail(t), detail(other)];
			if (x !== y) out.push({ kind: '~', what: `${what} ${k}`, detail: `${x} -> ${y}` });
		}
	}
	for (const [k, t] of right)
		if (!left.has(k)) out.push({ kind: '+', what: `${what} ${k}`, detail: detail(t) });
}

/** Compare nodes: value and perms reported apart, so a perms change reads as one. */
function compareNodes(
	out: Change[],
	what: string,
	a: NodeDataRecord[],
	b: NodeDataRecord[],
	key: (n: NodeDataRecord) => string,
) {
	const right = new Map<string, NodeDataRecord>();
	for (const n of b) right.set(key(n), n);
	const seen = new Set<string>();
	for (const n of a) {
		const k = key(n);
		seen.add(k);
		const m = right.get(k);
		const name = `${what} ${k}`;
		if (m === undefined) {
			out.push({ kind: '-', what: name, detail: `= ${quoted(n.value)} ${perms(n)}` });
			continue;
		}
		if (!n.value.equals(m.value))
			out.push({ kind: '~', what: name, detail: `value ${quoted(n.value)} -> ${quoted(m.value)}` });
		if (perms(n) !== perms(m))
			out.push({ kind: '~', what: name, detail: `perms ${perms(n)} -> ${perms(m)}` });
		if (n.access !== m.access)
			out.push({ kind: '~', what: name, detail: `access ${n.access} -> ${m.access}` });
	}
	for (const m of b) {
		const k = key(m);
		if (!seen.has(k))
			out.push({ kind: '+', what: `${what} ${k}`, detail: `= ${quoted(m.value)} ${perms(m)}` });
	}
}

export function diffStates(a: MigrationState, b: MigrationState): Change[] {
	const out: Change[] = [];
	const keyOf = (state: MigrationState) => {
		const keys = new Map<number, string>();
		for (const c of state.connections) keys.set(c.connId, connectionKey(c));
		return (connId: number) => keys.get(connId) ?? `conn-id ${connId}`;
	};
	const ka = keyOf(a);
	const kb = keyOf(b);

	compare(
		out,
		'global',
		a.global ? [a.global] : [],
		b.global ? [b.global] : [],
		() => 'data',
		(g) => `socket-fd=${g.socketFd} evtchn-fd=${g.evtchnFd}`,
	);
	compare(
		out,
		'global quota',
		[
			...(a.globalQuota?.perDomain ?? []).map((q) => ['per-domain', q] as const),
			...(a.globalQuota?.globalOnly ?? []).map((q) => ['global', q] as const),
		],
		[
			...(b.globalQuota?.perDomain ?? []).map((q) => ['per-domain', q] as const),
			...(b.globalQuota?.globalOnly ?? []).map((q) => ['global', q] as const),
		],
		([scope, q]) => `${scope} ${escapeBytes(q.name)}`,
		([, q]) => `${q.value}`,
	);
	compare(out, 'connection', a.connections, b.connections, connectionKey, connectionDetail);
	const watchKey = (k: (id: number) => string) => (w: MigrationState['watches'][number]) =>
		`${k(w.connId)} ${quoted(w.path)} token=${quoted(w.token)}`;
	const depth = (w: MigrationState['watches'][number]) =>
		w.type === 'WATCH_DATA_EXTENDED' ? `depth=${w.depth}` : 'no depth';
	compareWith(out, 'watch', a.watches, b.watches, watchKey(ka), watchKey(kb), depth);
	compareWith(
		out,
		'transaction',
		a.transactions,
		b.transactions,
		(t) => `${ka(t.connId)} tx=${t.txId}`,
		(t) => `${kb(t.connId)} tx=${t.txId}`,
		() => '',
	);
	compareNodes(out, 'node', a.nodes, b.nodes, (n) => escapeBytes(n.path));
	const txNodes = (state: MigrationState, k: (id: number) => string) =>
		state.transactionNodes.map((n) => ({ ...n, path: `${k(n.connId)} tx=${n.txId} ${n.path}` }));
	compareNodes(out, 'transaction node', txNodes(a, ka), txNodes(b, kb), (n) => escapeBytes(n.path));
	compare(
		out,
		'domain',
		a.domains,
		b.domains,
		(d) => `${d.domid}`,
		(d) => `features=0x${d.features.toString(16)} quotas: ${quotaText(d.quotas)}`,
	);
	return out;
}

/** compare() for items whose keys depend on which state they are in. */
function compareWith<T>(
	out: Change[],
	what: string,
	a: readonly T[],
	b: readonly T[],
	keyA: (t: T) => string,
	keyB: (t: T) => string,
	detail: (t: T) => string,
): void {
	compare(
		out,
		what,
		a.map((t) => ({ t, k: keyA(t) })),
		b.map((t) => ({ t, k: keyB(t) })),
		(x) => x.k,
		(x) => detail(x.t),
	);
}

export function formatChange(c: Change): string {
	return `${c.kind} ${c.what}${c.detail ? `: ${c.detail}` : ''}`;
}
