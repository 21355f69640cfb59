import type { ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { type Server, Socket, type SocketConstructorOpts } from 'node:net';
import type { Connection } from '../server/connection.ts';

/**
 * The channel between a tsxenstored predecessor and its tsxenstored successor. The successor is
 * started before requests stop, so that Node's start-up and module loading are not part of the
 * clients' downtime: it says `ready`. The predecessor then sends every socket it has, each as
 * Node's bare handle (`sent`), which the successor keeps without reading from it; a socket is named
 * in the stream by SENT_FD_BASE plus its position among those sent. Sockets made later (a client
 * that connected meanwhile) are sent the same way while requests are held, before `go`.
 * Once `go` is with the kernel, the predecessor waits, blocked, until the successor has taken over
 * (sentAtOnce). Only when `go` has to wait in Node's channel does the predecessor poll on: it then
 * forwards connections it accepts after the state was written as fresh. The successor says
 * `serving` once it serves, and takes fresh connections until the predecessor has exited: the
 * predecessor exits once none it accepted is still queued on its side.
 *
 * Then the predecessor may send a `snapshot` of its nodes (snapshot.ts), which the successor loads
 * and acknowledges with `loaded` (or `not-loaded`); the state then carries only what changed since.
 * With it come which of the sockets sent are clients': the successor makes its socket objects for
 * them then, paused, and for dom0's clients whole connections that read nothing yet, so that this
 * too is done before requests are held (those of clients that leave meanwhile are closed after).
 */
export const HANDOVER_ENV = 'TSXENSTORED_HANDOVER';

/** Descriptor numbers from here on name sockets sent over the channel, in the order sent. */
export const SENT_FD_BASE = 1 << 20;

/**
 * When the predecessor has many sockets, it passes those it has at the start at spawn instead, at
 * descriptors INHERITED_FD_BASE, +1, ... (3 is the channel): the channel would take them one at a
 * time, each waiting for the successor's acknowledgement. This variable then says how many, and
 * which of them (by position) are listening sockets: `<count>:<position>,<position>...`.
 */
export const INHERITED_ENV = 'TSXENSTORED_INHERITED';
export const INHERITED_FD_BASE = 4;

/** The value of INHERITED_ENV for `count` sockets, of which those at `listeners` listen. */
export function inheritedSpec(count: number, listeners: readonly number[]): string {
	return `${count}:${listeners.join(',')}`;
}

/** What INHERITED_ENV says: descriptor -> whether it is a listening socket. Throws if malformed. */
export function parseInherited(spec: string): Map<number, boolean> {
	const match = /^(\d{1,7}):((?:\d{1,7})(?:,\d{1,7})*)?$/.exec(spec);
	if (match === null) throw new Error(`${INHERITED_ENV} is malformed: ${JSON.stringify(spec.slice(0, 80))}`);
	const count = Number(match[1]);
	const listeners = new Set(
		(match[2] ?? '')
			.split(',')
			.filter((p) => p !== '')
			.map(Number),
	);
	const passed = new Map<number, boolean>();
	for (let i = 0; i < count; i++) passed.set(INHERITED_FD_BASE + i, listeners.has(i));
	return passed;
}

export type ToSuccessor =
	| { kind: 'snapshot'; file: string; clients: number[]; guests: number[] }
	| { kind: 'sent'; index: number; listener: boolean }
	| { kind: 'go' }
	| { kind: 'fresh'; domid: number };

export type ToPredecessor =
	| { kind: 'ready' }
	| { kind: 'loaded'; file: string }
	| { kind: 'not-loaded'; reason: string }
	| { kind: 'serving' };

/** A socket or listening socket of the predecessor's. */
export type SentHandle = Socket | Server;

/**
 * Send `message` to the successor; resolves, before this process polls for I/O again, with whether
 * it went to the kernel at once. Node's channel holds a message back while a socket sent before it
 * waits for the successor's acknowledgement, and libuv queues what the kernel does not take. Node
 * calls a send's callback on the next tick when the write was done at once, and after a poll
 * otherwise: a callback run by a tick queued after the send means the message has left. If Node
 * ever called it later, the answer would be `false`, the cautious one. A test checks both cases.
 *
 * It matters for `go`: once `go` has left, the predecessor need not stop reading its thousands of
 * sockets one by one (a call into libuv each, milliseconds that clients wait), because it waits
 * blocked and never polls again unless the successor fails.
 */
export function sentAtOnce(child: ChildProcess, message: ToSuccessor): Promise<boolean> {
	let sent = false;
	child.send(message, (error) => {
		sent = error === null;
	});
	return new Promise((resolve) => process.nextTick(() => resolve(sent)));
}

/**
 * What Node's socket objects wrap and its channel passes as is (a "native" handle): unlike a
 * socket object, it reads nothing and accepts nothing until something is made of it here.
 */
export interface BareHandle {
	readonly fd: number;
	close(): void;
}

/** The bare handle under a socket or server; undefined once it is closed. */
export function bareHandle(socket: SentHandle): BareHandle | undefined {
	return (socket as unknown as { _handle: BareHandle | null })._handle ?? undefined;
}

/** The successor's side of the channel. */
export interface Handover {
	/**
	 * What the stream's descriptor number stands for here: a listening socket's descriptor, a
	 * socket, or the connection prepared for it (held: restore releases it).
	 */
	resolve(fd: number): number | Socket | Connection;
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
export function pausedSocket(handle: BareHandle): Socket {
	const options = { handle, readable: true, writable: true, pauseOnCreate: true };
	return new Socket(options as unknown as SocketConstructorOpts);
}

/** A socket object for a descriptor read from now on. */
function readingSocket(handle: BareHandle): Socket {
	return new Socket({ handle, readable: true, writable: true } as unknown as SocketConstructorOpts);
}

/** A socket the predecessor passed: a handle sent over the channel, or a descriptor inherited. */
type Passed = { handle: BareHandle; listener: boolean } | { fd: number; listener: boolean };

/** pausedSocket for a socket inherited at descriptor `fd`. */
export function pausedDescriptor(fd: number): Socket {
	const options = { fd, readable: true, writable: true, pauseOnCreate: true };
	return new Socket(options as unknown as SocketConstructorOpts);
}

/** A socket object for a passed socket that must not be read yet (see pausedSocket). */
function pausedPassed(passed: Passed): Socket {
	return 'handle' in passed ? pausedSocket(passed.handle) : pausedDescriptor(passed.fd);
}

function closePassed(passed: Passed): void {
	if ('handle' in passed) passed.handle.close();
	else closeSync(passed.fd);
}

/**
 * A message to the predecessor, unless it has gone: one that waits blocked for the side file to be
 * removed (updater.ts) exits as soon as it is, and `serving`, said after that, then has nobody to
 * go to. Node would report the closed channel as an 'error' event, and with no listener for it,
 * end this process, which serves by then.
 */
function send(message: ToPredecessor): void {
	if (process.connected) process.send?.(message, undefined, undefined, () => {});
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
 * and resolve once it says `go`. `spec` is INHERITED_ENV's value, if the predecessor passed
 * sockets at spawn.
 */
export function receiveHandover(spec: string | undefined, steps: HandoverSteps): Promise<Handover> {
	const sent: Array<Passed | undefined> = [];
	const inherited = new Map<number, Passed>();
	if (spec !== undefined) {
		for (const [fd, listener] of parseInherited(spec)) inherited.set(fd, { fd, listener });
	}
	const fresh: Array<[BareHandle, number]> = [];
	let accept: ((socket: Socket, domid: number) => void) | undefined;
	let loaded: string | undefined;
	const early = new Map<number, Socket | Connection>();
	/** What a descriptor number the predecessor named stands for; each is claimed once. */
	const claim = (fd: number): Passed | undefined => {
		if (fd < SENT_FD_BASE) {
			const entry = inherited.get(fd);
			inherited.delete(fd);
			return entry;
		}
		const entry = sent[fd - SENT_FD_BASE];
		sent[fd - SENT_FD_BASE] = undefined;
		return entry;
	};
	return new Promise((resolve) => {
		process.on('message', (message: ToSuccessor, handle?: BareHandle | Socket) => {
			if (message.kind === 'snapshot' && loaded === undefined) {
				try {
					for (const fd of message.clients) {
						const made = claim(fd);
						if (made !== undefined) early.set(fd, steps.prepare(pausedPassed(made)));
					}
					for (const fd of message.guests) {
						const made = claim(fd);
						if (made !== undefined) early.set(fd, pausedPassed(made));
					}
					steps.load(message.file);
					loaded = message.file;
					steps.loadedAll();
					send({ kind: 'loaded', file: message.file });
				} catch (e) {
					send({ kind: 'not-loaded', reason: (e as Error).message });
				}
			} else if (message.kind === 'sent' && handle !== undefined) {
				sent[message.index] = { handle: handle as BareHandle, listener: message.listener };
			} else if (message.kind === 'fresh' && handle !== undefined) {
				// A bare handle, made a socket (and read) only when taken: a successor that fails
				// before leaves its client's first request to the predecessor, which serves on.
				if (accept) accept(readingSocket(handle as BareHandle), message.domid);
				else fresh.push([handle as BareHandle, message.domid]);
			} else if (message.kind === 'go') {
				resolve({
					resolve(fd) {
						const made = early.get(fd);
						if (made !== undefined) {
							early.delete(fd);
							return made;
						}
						const passed = claim(fd);
						if (passed === undefined) return fd;
						// A listening socket is served from its descriptor (as Node does with one it
						// receives); a bare handle stays open under it.
						if ('fd' in passed) return passed.fd;
						return passed.listener ? passed.handle.fd : readingSocket(passed.handle);
					},
					loaded,
					dropUnclaimed() {
						for (const made of early.values()) {
							if (made instanceof Socket) made.destroy();
							else made.close('its client left during the live update');
						}
						early.clear();
						for (const entry of sent.splice(0)) if (entry !== undefined) closePassed(entry);
						for (const entry of inherited.values()) closePassed(entry);
						inherited.clear();
					},
					onFresh(a) {
						accept = a;
						for (const [handle, domid] of fresh.splice(0)) a(readingSocket(handle), domid);
					},
					serving() {
						send({ kind: 'serving' });
						// The channel stays open until the predecessor has exited: a client it accepted
						// a moment ago may still be on its way here (`fresh`).
					},
				});
			}
		});
		void steps.warmUp().then(() => send({ kind: 'ready' }));
	});
}
