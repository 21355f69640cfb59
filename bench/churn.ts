/**
 * The soak's load: clients that keep changing a store of bounded size the way a host's toolstack
 * and backends do, for as long as asked. Nodes are written, read, listed, removed one by one and a
 * group at a time, their permissions changed; transactions commit, conflict, and are left open on a
 * connection that goes away; watches come and go and receive their events; connections are closed
 * and opened again. What it creates it also removes, so the store stays about the same size and a
 * daemon's memory should stop growing once it has seen every kind of request: what keeps growing is
 * a leak.
 *
 * The mix is drawn from a seeded generator, so that every daemon gets the same sequence of requests.
 */
import { connect, type XenstoreClient, XenstoreError } from '../src/client/index.ts';

/** Groups of nodes under /soak, and nodes per group: at most 6,000 nodes. */
const GROUPS = 20;
const PER_GROUP = 300;
const MAX_VALUE = 512;
/** Watches one connection holds at most, within C xenstored's default quota for guests too. */
const MAX_WATCHES = 8;

/** The error answers the mix provokes: a node removed meanwhile, a transaction that conflicted. */
export const EXPECTED_ERRORS: readonly string[] = ['ENOENT', 'EAGAIN'];

export interface ChurnOptions {
	socket: string;
	clients: number;
	/**
	 * Operations of the mix per second, all clients together; each client paces itself to its
	 * share. Most are one request; a transaction is four or five.
	 */
	rate: number;
	seed: number;
}

/** Latencies (seconds) and counts since the last `take`. */
export interface ChurnWindow {
	ops: number;
	latencies: number[];
	events: number;
	/** Error answers by name (EXPECTED_ERRORS are part of the mix). */
	errors: Record<string, number>;
}

/** A small, fast, seeded generator (mulberry32): the same seed gives the same mix. */
function generator(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export class Churn {
	private readonly options: ChurnOptions;
	private window: ChurnWindow = { ops: 0, latencies: [], events: 0, errors: {} };
	private running = true;
	private readonly loops: Promise<void>[] = [];
	/** The first failure that was not a xenstore error answer: it stops the run. */
	private failure: Error | undefined;

	constructor(options: ChurnOptions) {
		this.options = options;
	}

	start(): void {
		for (let i = 0; i < this.options.clients; i++) this.loops.push(this.client(i));
	}

	/** What happened since the last call. */
	take(): ChurnWindow {
		const w = this.window;
		this.window = { ops: 0, latencies: [], events: 0, errors: {} };
		if (this.failure) throw this.failure;
		return w;
	}

	async stop(): Promise<void> {
		this.running = false;
		await Promise.all(this.loops);
		if (this.failure) throw this.failure;
	}

	private async client(index: number): Promise<void> {
		const random = generator(this.options.seed * 7919 + index);
		const pick = (n: number) => Math.floor(random() * n);
		const node = () => `/soak/g${pick(GROUPS)}/n${pick(PER_GROUP)}`;
		const value = () => Buffer.alloc(pick(MAX_VALUE + 1), 97 + pick(26));
		const interval = (1000 * this.options.clients) / this.options.rate;
		let next = performance.now();
		let client = await this.open();
		const watches: Array<{ path: string; token: string }> = [];
		let serial = 0;
		try {
			while (this.running) {
				const roll = random();
				const began = performance.now();
				try {
					if (roll < 0.35) await client.write(node(), value());
					else if (roll < 0.55) await client.read(node());
					else if (roll < 0.63) await client.directory(`/soak/g${pick(GROUPS)}`);
					else if (roll < 0.71) await client.rm(node());
					else if (roll < 0.714) await client.rm(`/soak/g${pick(GROUPS)}`);
					else if (roll < 0.81) {
						const tx = await client.transactionStart();
						try {
							await tx.read(node()).catch(expected);
							await tx.write(node(), value());
							await tx.write(node(), value());
							await tx.commit();
						} catch (e) {
							// Ended already if the commit failed: an abort then answers ENOENT.
							await tx.abort().catch(expected);
							throw e;
						}
					} else if (roll < 0.85)
						await client.setPerms(node(), [
							{ domid: 0, access: 'none' },
							{ domid: pick(8) + 1, access: 'read' },
						]);
					else if (roll < 0.89) await client.getPerms(node());
					else if (roll < 0.997) {
						if (watches.length >= MAX_WATCHES || (watches.length > 0 && random() < 0.5)) {
							const { path, token } = watches.shift()!;
							await client.unwatch(path, token);
						} else {
							const set = { path: `/soak/g${pick(GROUPS)}`, token: `w${index}-${serial++}` };
							const watch = await client.watch(set.path, set.token);
							watches.push(set);
							void this.drain(watch);
						}
					} else {
						// Gone with a transaction open and its watches set: the daemon must free both.
						const tx = await client.transactionStart();
						await tx.write(node(), value());
						client.close();
						watches.length = 0;
						client = await this.open();
					}
				} catch (e) {
					this.count(e);
				}
				this.window.ops++;
				this.window.latencies.push((performance.now() - began) / 1000);
				next += interval;
				const wait = next - performance.now();
				if (wait > 0) await new Promise((r) => setTimeout(r, wait));
				else if (wait < -1000) next = performance.now(); // fell behind: do not burst to catch up
			}
		} catch (e) {
			this.failure ??= e as Error;
		} finally {
			client.close();
		}
	}

	private async open(): Promise<XenstoreClient> {
		return connect({ path: this.options.socket, watchBuffer: 1 << 20 });
	}

	private async drain(watch: AsyncIterable<unknown>): Promise<void> {
		try {
			for await (const _ of watch) this.window.events++;
		} catch {
			// The connection closed under it: the test of that is the daemon's, not the watch's.
		}
	}

	private count(e: unknown): void {
		if (!(e instanceof XenstoreError)) throw e;
		this.window.errors[e.code] = (this.window.errors[e.code] ?? 0) + 1;
	}
}

/** A failure the mix expects inside a longer operation (a node removed meanwhile): ignored. */
function expected(e: unknown): void {
	if (!(e instanceof XenstoreError)) throw e;
}
