/** fast-check generators of records and of whole valid streams. */
import fc from 'fast-check';
import { PERM_LETTERS, type StreamVersion } from '../../src/migration/constants.ts';
import type {
	ConnectionDataRecord,
	DomainDataRecord,
	GlobalDataRecord,
	GlobalQuotaDataRecord,
	MigrationRecord,
	NodeDataRecord,
	NodePerm,
	QuotaValue,
} from '../../src/migration/records.ts';
import { type MigrationState, recordsFromState } from '../../src/migration/state.ts';

/** Records with an ordinary prototype, as the codec makes them (fast-check's default has none). */
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> =>
	fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
/** A NUL-free byte string, as latin1. */
const cstring = (min: number, max: number) =>
	fc
		.uint8Array({ minLength: min, maxLength: max })
		.map((a) => Buffer.from(a.map((b) => b || 1)).toString('latin1'));
const name = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
const perm: fc.Arbitrary<NodePerm> = rec({
	access: fc.constantFrom(...PERM_LETTERS),
	domid: fc.integer({ min: 0, max: 0xffff }),
	stale: fc.boolean(),
});
const quotas = (max: number): fc.Arbitrary<QuotaValue[]> =>
	fc.array(rec({ name: cstring(1, 12), value: fc.nat({ max: 0xffffffff }) }), { maxLength: max });

export const globalData: fc.Arbitrary<GlobalDataRecord> = rec({
	type: fc.constant('GLOBAL_DATA' as const),
	socketFd: fc.integer({ min: -1, max: 0x7fffffff }),
	evtchnFd: fc.integer({ min: -1, max: 0x7fffffff }),
});

const connection = (connId: number): fc.Arbitrary<ConnectionDataRecord> =>
	fc
		.record({
			spec: fc.oneof(
				rec({
					kind: fc.constant('ring' as const),
					domid: fc.integer({ min: 0, max: 0xffff }),
					target: fc.integer({ min: 0, max: 0xffff }),
					evtchn: fc.nat({ max: 0xffffffff }),
				}),
				rec({ kind: fc.constant('socket' as const), fd: fc.integer({ min: -0x80000000, max: 0x7fffffff }) }),
			),
			pendingIn: bytes(40),
			pendingOut: bytes(60),
			uniqueId: fc.option(fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), { nil: undefined }),
			partial: fc.nat(),
		})
		.map(({ spec, pendingIn, pendingOut, uniqueId, partial }) => {
			const r: ConnectionDataRecord = {
				type: 'CONNECTION_DATA',
				connId,
				spec,
				pendingIn,
				pendingOut,
				partialResponseLength: pendingOut.length === 0 ? 0 : partial % (pendingOut.length + 1),
			};
			return uniqueId === undefined ? r : { ...r, uniqueId };
		});

/** A tree of committed nodes, parents first, under `/`. */
const tree: fc.Arbitrary<NodeDataRecord[]> = fc
	.array(fc.tuple(fc.nat(), name, bytes(30), fc.array(perm, { minLength: 1, maxLength: 4 })), {
		maxLength: 25,
	})
	.map((specs) => {
		const paths = ['/'];
		const out: NodeDataRecord[] = [
			{
				type: 'NODE_DATA',
				connId: 0,
				txId: 0,
				access: 0,
				perms: [{ access: 'n', domid: 0, stale: false }],
				path: '/',
				value: Buffer.alloc(0),
			},
		];
		for (const [parent, n, value, perms] of specs) {
			const base = paths[parent % paths.length]!;
			const path = `${base === '/' ? '' : base}/${n}`;
			if (paths.includes(path)) continue;
			paths.push(path);
			out.push({ type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms, path, value });
		}
		return out;
	});

/** A valid state: connections numbered from 1, watches and transactions of them, nodes, domains. */
export const state = (version: StreamVersion): fc.Arbitrary<MigrationState> =>
	fc
		.integer({ min: 0, max: 4 })
		.chain((nConn) =>
			rec({
				global: fc.option(globalData, { nil: undefined }),
				globalQuota: fc.option(
					rec({
						type: fc.constant('GLOBAL_QUOTA_DATA' as const),
						perDomain: quotas(4),
						globalOnly: quotas(3),
					}),
					{ nil: undefined },
				) as fc.Arbitrary<GlobalQuotaDataRecord | undefined>,
				connections: fc.tuple(...Array.from({ length: nConn }, (_, i) => connection(i + 1))),
				watches:
					nConn === 0
						? fc.constant([])
						: fc.uniqueArray(
								rec({
									connId: fc.integer({ min: 1, max: nConn }),
									path: cstring(1, 20),
									token: cstring(0, 10),
									depth:
										version === 2
											? fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined })
											: fc.constant(undefined),
								}),
								{ maxLength: 6, selector: (w) => `${w.connId}\0${w.path}\0${w.token}` },
							),
				transactions:
					nConn === 0
						? fc.constant([])
						: fc.uniqueArray(
								rec({
									connId: fc.integer({ min: 1, max: nConn }),
									txId: fc.integer({ min: 1, max: 0xffffffff }),
								}),
								{
									maxLength: 4,
									selector: (t) => `${t.connId}/${t.txId}`,
								},
							),
				nodes: tree,
				txNodeSeeds: fc.array(
					fc.tuple(
						fc.nat(),
						name,
						fc.integer({ min: 0, max: 3 }),
						bytes(10),
						fc.array(perm, { minLength: 1, maxLength: 2 }),
					),
					{ maxLength: 5 },
				),
				domains: fc.uniqueArray(
					rec({
						type: fc.constant('DOMAIN_DATA' as const),
						domid: fc.integer({ min: 0, max: 0xffff }),
						features: version === 2 ? fc.nat({ max: 0xffffffff }) : fc.constant(0),
						quotas: quotas(3),
					}),
					{ maxLength: 3, selector: (d) => d.domid },
				) as fc.Arbitrary<DomainDataRecord[]>,
			}),
		)
		.map((s) => {
			const transactionNodes: NodeDataRecord[] = [];
			const seen = new Set<string>();
			if (s.transactions.length > 0) {
				for (const [which, n, access, value, perms] of s.txNodeSeeds) {
					const tx = s.transactions[which % s.transactions.length]!;
					const path = `/tx/${n}`;
					if (seen.has(`${tx.connId}/${tx.txId}${path}`)) continue;
					seen.add(`${tx.connId}/${tx.txId}${path}`);
					const deleted = access === 0;
					transactionNodes.push({
						type: 'NODE_DATA',
						connId: tx.connId,
						txId: tx.txId,
						access,
						perms: deleted ? [] : perms,
						path,
						value: deleted ? Buffer.alloc(0) : value,
					});
				}
			}
			// Watches and transactions listed connection by connection, as a stream holds them.
			const byConn = <T extends { connId: number }>(list: readonly T[]) =>
				[...list].sort((a, b) => a.connId - b.connId);
			const result: MigrationState = {
				connections: [...s.connections],
				watches: byConn(s.watches).map((w) =>
					w.depth === undefined
						? { type: 'WATCH_DATA', connId: w.connId, path: w.path, token: w.token }
						: { type: 'WATCH_DATA_EXTENDED', connId: w.connId, path: w.path, token: w.token, depth: w.depth },
				),
				transactions: byConn(s.transactions).map((t) => ({ type: 'TRANSACTION_DATA', ...t })),
				nodes: s.nodes,
				transactionNodes,
				domains: s.domains,
			};
			if (s.global) result.global = s.global;
			if (s.globalQuota) result.globalQuota = s.globalQuota;
			return result;
		});

/** The records of a valid state, END last. */
export const records = (version: StreamVersion): fc.Arbitrary<MigrationRecord[]> =>
	state(version).map((s) => [...recordsFromState(s)]);
