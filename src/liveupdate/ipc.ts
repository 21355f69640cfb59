import { type Server, Socket, type SocketConstructorOpts } from 'node:net';
import type { Connection } from '../server/connection.ts';

/**
 * The channel between a tsxenstored predecessor and its tsxenstored successor. The successor is
 * started before requests stop, so that Node's start-up and module loading are not part of the
 * clients' downtime: it says `ready`, and only then does the predecessor hold requests and write
 * the state. Sockets that existed at the start were passed at spawn at known descriptor numbers;
 * any created since (a client that connected meanwhile) is sent over the channel, and named in the
 * stream by SENT_FD_BASE plus its position among those sent. Connections accepted after the state
 * was written are forwarded as fresh. The successor says `serving` once it serves.
 *
 * Between `ready` and holding requests, the predecessor may send a `snapshot` of its nodes
 * (snapshot.ts), which the successor loads and acknowledges with `loaded` (or `not-loaded`); the
 * state then carries only what changed since. With it come the descriptors passed at spawn that are
 * clients' sockets: the successor makes its socket objects for them then, paused, and for dom0's
 * clients whole connections that read nothing yet, so that this too is done before requests are
 * held (those of clients that leave meanwhile are closed after).
 */
export const HANDOVER_ENV = 'TSXENSTORED_HANDOVER';

/** Descriptor numbers from here on name sockets sent over the channel, in the order sent. */
export const SENT_FD_BASE = 1 << 20;

export type ToSuccessor =
	| { kind: 'snapshot'; file: string; clients: number[]; guests: number[] }
	| { kind: 'sent'; index: number }
	| { kind: 'go' }
	| { kind: 'fresh'; domid: number };

export type ToPredecessor =
	| { kind: 'ready' }
	| { kind: 'loaded'; file: string }
	| { kind: 'not-loaded'; reason: string }
	| { kind: 'serving' };

/** A socket or listening socket the predecessor sent. */
export type SentHandle = Socket | Server;

/** The successor's side of the channel. */
export interface Handover {
	/**
	 * What the stream's descriptor number stands for here: the number itself, a sent socket, or
	 * the connection prepared for it (held: restore releases it).
	 */
	resolve(fd: number): number | SentHandle | Connection;
	/** The snapshot file already loaded into the store, if any. */
	loaded: string | undefined;
	/** Close what was made early for clients the state does not name (they left meanwhile). */
	dropUnclaimed(): void;
	/** Fresh connections forwarded so far and from now on, with the domain they came in for. */
	onFresh(accept: (socket: Socket, domid: number) => void): void;
	serving(): void;
}

/**
 * A socket object for a descriptor that must not be read yet: the predecessor still reads it until
 * it holds requests, and whatever this process read meanwhile would be lost to it. Node starts
 * reading a socket as it makes it, unless told `pauseOnCreate`, the option its own servers use for
 * `pauseOnConnect`; it is not in Node's typings, so a test checks it still works.
 */
export function pausedSocket(fd: number): Socket {
	const options = { fd, readable: true, writable: true, pauseOnCreate: true };
	return new Socket(options as SocketConstructorOpts);
}

function send(message: ToPredecessor): void {
	process.send?.(message);
}

/** What the successor does with the handover, before it takes over. */
export interface HandoverSteps {
	/** Runs first: work that should not count as downtime. */
	warmUp(): Promise<void>;
	/** Load a snapshot of the store; throws if it cannot. */
	load(file: string): void;
	/** A dom0 client's socket, made paused, as a connection held until restore releases it. */
	prepare(socket: Socket): Connection;
	/** Runs last before `loaded` is said: requests are held right after. */
	loadedAll(): void;
}

/**
 * Successor: get ready, say so, load a snapshot if one comes, collect what the predecessor sends,
 * and resolve once it says `go`.
 */
export function receiveHandover(steps: HandoverSteps): Promise<Handover> {
	const sent: SentHandle[] = [];
	const fresh: Array<[Socket, number]> = [];
	let accept: ((socket: Socket, domid: number) => void) | undefined;
	let loaded: string | undefined;
	const early = new Map<number, Socket | Connection>();
	return new Promise((resolve) => {
		process.on('message', (message: ToSuccessor, handle?: SentHandle) => {
			if (message.kind === 'snapshot' && loaded === undefined) {
				try {
					for (const fd of message.clients) early.set(fd, steps.prepare(pausedSocket(fd)));
					for (const fd of message.guests) early.set(fd, pausedSocket(fd));
					steps.load(message.file);
					loaded = message.file;
					steps.loadedAll();
					send({ kind: 'loaded', file: message.file });
				} catch (e) {
					send({ kind: 'not-loaded', reason: (e as Error).message });
				}
			} else if (message.kind === 'sent' && handle !== undefined) {
				sent[message.index] = handle;
			} else if (message.kind === 'fresh' && handle !== undefined) {
				if (accept) accept(handle as Socket, message.domid);
				else fresh.push([handle as Socket, message.domid]);
			} else if (message.kind === 'go') {
				resolve({
					resolve(fd) {
						if (fd >= SENT_FD_BASE) return sent[fd - SENT_FD_BASE]!;
						const socket = early.get(fd);
						early.delete(fd);
						return socket ?? fd;
					},
					loaded,
					dropUnclaimed() {
						for (const made of early.values()) {
							if (made instanceof Socket) made.destroy();
							else made.close('its client left during the live update');
						}
						early.clear();
					},
					onFresh(a) {
						accept = a;
						for (const [socket, domid] of fresh.splice(0)) a(socket, domid);
					},
					serving() {
						send({ kind: 'serving' });
						// The channel has served its purpose; the predecessor exits.
						process.disconnect?.();
					},
				});
			}
		});
		void steps.warmUp().then(() => send({ kind: 'ready' }));
	});
}
