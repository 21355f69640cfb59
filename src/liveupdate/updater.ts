import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { HOST_ENDIAN } from '../migration/constants.ts';
import { encodeFrame } from '../protocol/frame.ts';
import { MessageType } from '../protocol/message-type.ts';
import type { Connection } from '../server/connection.ts';
import type { Daemon } from '../server/daemon.ts';
import { SocketTransport, stopReadingSocket } from '../server/socket-transport.ts';
import { type CaptureOptions, captureState, type Placement, placeFromThree, stopReading } from './capture.ts';
import type { UpdatePlan, Updater } from './control.ts';
import { extrasPath, writeExtras } from './extras.ts';
import {
	type BareHandle,
	bareHandle,
	INHERITED_FD_BASE,
	inheritedSpec,
	SENT_FD_BASE,
	type SentHandle,
	sentAtOnce,
	type ToPredecessor,
	type ToSuccessor,
} from './ipc.ts';
import { writeSnapshot } from './snapshot.ts';
import { Standby } from './standby.ts';
import { identifyTarget, isScript, successorArgs, type TargetKind } from './target.ts';
import { afterNextPoll, waitForTakeover } from './wait.ts';

/** How long clients get to take output written before the handover. */
const SETTLE_MS = 2000;
/** How long a successor gets to restore and serve before it is given up on. */
const TAKEOVER_MS = 60_000;
/** Whole rehearsals of the capture (rehearseCapture): V8 has optimized it after about as many. */
const REHEARSALS = 8;
/** Connections the first rehearsal captures; each next one twice as many, up to all of them. */
const FIRST_REHEARSAL_CONNECTIONS = 16;
/**
 * From this many sockets on, a tsxenstored successor is started with them (toTsxenstored): the
 * channel takes 0.3-0.6 s for a thousand, where the fork stopped this process for 9-13 ms with a
 * thousand clients, about as long as the handover itself (docs/live-update.md).
 */
const PASS_AT_SPAWN = 64;

/** The reply to `live-update -s` that the successor sends on this process's behalf. */
function controlReply(plan: UpdatePlan): Buffer {
	return encodeFrame(MessageType.CONTROL, plan.reqId, plan.txId, 'OK\0');
}

/** Every socket the daemon has, by descriptor: the listener, each client, each domain's listener. */
function socketsByFd(daemon: Daemon): Map<number, SentHandle> {
	const sockets = new Map<number, SentHandle>();
	if (daemon.listener !== undefined) sockets.set(daemon.listenerFd, daemon.listener);
	for (const conn of daemon.connections.values()) {
		if (conn.transport instanceof SocketTransport) sockets.set(conn.transport.fd, conn.transport.socket);
	}
	for (const [, server, fd] of daemon.domainService.listeners()) sockets.set(fd, server);
	return sockets;
}

export interface UpdaterOptions {
	/** $XENSTORED_ROOTDIR: the state file is `state_dump` there, as for current C xenstored. */
	rootDir: string;
	/** $XENSTORED_RUNDIR: where C xenstored 4.17 looks for it instead. */
	runDir: string;
	/** This process's own arguments: the successor's, unless `-c` gives others. */
	originalArgs: readonly string[];
}

/**
 * Live update of this daemon: find out what the new binary is, wait for transactions a foreign
 * successor cannot carry, stop handling requests, write the whole state to the state file, start
 * the successor with every socket at the descriptor numbers the state names, and wait until it
 * serves (it removes the state file). Then this process exits. If anything fails, this process goes
 * on serving as before and the requester is told why.
 */
export class LiveUpdater implements Updater {
	private readonly daemon: Daemon;
	private readonly options: UpdaterOptions;
	/** When requests stopped being handled: the start of the clients' downtime (for the log). */
	private heldAt = 0;

	/** Starts tsxenstored successors (standby.ts). */
	private readonly standby: Standby;

	constructor(daemon: Daemon, options: UpdaterOptions) {
		this.daemon = daemon;
		this.options = options;
		this.standby = new Standby(options.rootDir);
	}

	/**
	 * Fork the process a tsxenstored successor will run in now, while this one is small; without
	 * it, the update forks it then, and the clients wait while it does.
	 */
	prepareSuccessor(): void {
		this.standby.start();
	}

	get stateFile(): string {
		return join(this.options.rootDir, 'state_dump');
	}

	/** C xenstored 4.17 reads its state from its run directory: a foreign successor finds it there too. */
	private get legacyStateFile(): string | undefined {
		const legacy = join(this.options.runDir, 'state_dump');
		return legacy === this.stateFile ? undefined : legacy;
	}

	async update(plan: UpdatePlan): Promise<string> {
		const { log } = this.daemon;
		log.info(`live update to ${plan.binary} requested`);
		let kind: TargetKind;
		try {
			kind = await identifyTarget(plan.binary);
		} catch (e) {
			return `New binary cannot start: ${(e as Error).message}`;
		}
		if (kind === 'tsxenstored') return this.toTsxenstored(plan);
		const refusal = await this.waitForTransactions(plan);
		if (refusal !== undefined) return refusal;
		await this.hold(plan);
		return this.toForeign(plan);
	}

	/** Stop handling requests and get queued output written (a peer that takes none is closed). */
	private async hold(plan: UpdatePlan): Promise<void> {
		this.daemon.holdAll();
		this.heldAt = performance.now();
		// One more poll of the event loop: requests clients had sent by now are read into their
		// connections' unprocessed input, which the successor handles first, as soon as it has
		// restored the state. Left in the kernel, they would wait for its first poll, after every
		// connection has been set to read again (a few milliseconds for a thousand).
		await afterNextPoll();
		for (const conn of await this.daemon.settle(SETTLE_MS)) {
			if (conn !== plan.requester) conn.close('did not take its output during live update');
		}
	}

	/**
	 * C xenstored drops transactions over a live update, so before handing over to a foreign binary
	 * wait for them to end, for up to the timeout; then go ahead only if forced (-F).
	 */
	private async waitForTransactions(plan: UpdatePlan): Promise<string | undefined> {
		const deadline = Date.now() + plan.timeout * 1000;
		for (;;) {
			const open = [...this.daemon.connections.values()].filter((c) => c.transactions.size > 0);
			if (open.length === 0) return undefined;
			if (Date.now() >= deadline) {
				if (plan.force) {
					this.daemon.log.warn(`live update forced: ${open.length} connections lose their open transactions`);
					return undefined;
				}
				return `Overlapping transactions:\n${open.map((c) => `${c.label}: ${c.transactions.size} open`).join('\n')}`;
			}
			await new Promise((r) => setTimeout(r, 100));
		}
	}

	private command(plan: UpdatePlan): [string, string[]] {
		const args = successorArgs(this.options.originalArgs, plan.cmdline);
		// A script runs under this process's Node with its runtime flags (those of its shebang).
		return isScript(plan.binary)
			? [process.execPath, [...process.execArgv, plan.binary, ...args]]
			: [plan.binary, args];
	}

	/** Capture the state and write it to the state file(s); a sentence on failure. */
	private writeState(
		plan: UpdatePlan,
		kind: TargetKind,
		place: Placement,
		options: CaptureOptions = {},
	): { records: number } | string {
		const { daemon } = this;
		const captured = captureState(
			daemon,
			kind,
			plan.requester as Connection,
			controlReply(plan),
			HOST_ENDIAN,
			place,
			options,
		);
		for (const loss of captured.losses) daemon.log.warn(`live update: ${loss}`);
		try {
			writeFileSync(this.stateFile, captured.stream, { mode: 0o600 });
			if (kind === 'tsxenstored') writeExtras(this.stateFile, captured.extras);
			else if (this.legacyStateFile !== undefined)
				writeFileSync(this.legacyStateFile, captured.stream, { mode: 0o600 });
		} catch (e) {
			return `Cannot write the state file ${this.stateFile}: ${(e as Error).message}`;
		}
		daemon.log.info(
			`live update: ${captured.records} records (${captured.stream.length} bytes) written ` +
				`${(performance.now() - this.heldAt).toFixed(0)} ms after requests stopped`,
		);
		return { records: captured.records };
	}

	/**
	 * To tsxenstored: start it first (from the standby shell), with a channel to it (ipc.ts); send
	 * it every socket there is now, and hold requests only once it is ready, so that its start-up is
	 * not part of the clients' downtime; then write the state, send what it does not have yet, and
	 * exit once it serves.
	 */
	private async toTsxenstored(plan: UpdatePlan): Promise<string> {
		const { daemon } = this;
		const { log } = daemon;
		const [command, argv] = this.command(plan);
		log.info(`live update: starting ${command} ${argv.join(' ')}`);
		// Where the successor has each socket, by socket, not by number: a number freed by a client
		// that leaves may be reused by one that comes, whose socket the successor does not have.
		const sentAt = new Map<SentHandle, number>();
		// Many sockets are passed at spawn, the fork's cost (milliseconds of this process's time,
		// more the larger it is) against the channel's, a round trip between the two processes for
		// each (ipc.ts); a few go over the channel, to a successor forked long ago (standby.ts).
		// The fork stops this process for milliseconds (more with more sockets): clients that
		// waited while the request was handled are answered first. From here to the fork, nothing
		// may yield: a descriptor closed meanwhile could be reused by another client's socket.
		await afterNextPoll();
		const existing = socketsByFd(daemon);
		const passing = existing.size >= PASS_AT_SPAWN;
		let child: ChildProcess;
		if (passing) {
			const fds: number[] = [];
			const listeners: number[] = [];
			for (const [fd, socket] of existing) {
				if (socket instanceof Server) listeners.push(fds.length);
				sentAt.set(socket, INHERITED_FD_BASE + fds.length);
				fds.push(fd);
			}
			const spec = inheritedSpec(fds.length, listeners);
			child = this.standby.launchPassing(command, argv, fds, spec);
		} else {
			child = this.standby.launch(command, argv);
		}
		// Node's channel takes bare handles as they are, and the successor reads nothing of one
		// before it makes a socket of it; the channel's typings know only socket objects.
		const sendHandle = (message: ToSuccessor, handle: BareHandle, onSent?: () => void) =>
			child.send(message, handle as unknown as Socket, { keepOpen: true }, onSent);
		let sentCount = 0;
		const send = (socket: SentHandle, onSent?: () => void): number | undefined => {
			const handle = bareHandle(socket);
			if (handle === undefined) {
				onSent?.();
				return undefined;
			}
			const index = sentCount++;
			sentAt.set(socket, SENT_FD_BASE + index);
			sendHandle({ kind: 'sent', index, listener: socket instanceof Server }, handle, onSent);
			return SENT_FD_BASE + index;
		};
		const hear = <K extends ToPredecessor['kind']>(...kinds: K[]) =>
			new Promise<Extract<ToPredecessor, { kind: K }> | undefined>((resolve) => {
				const timer = setTimeout(() => resolve(undefined), TAKEOVER_MS);
				child.on('message', (m: ToPredecessor) => {
					if ((kinds as string[]).includes(m.kind)) {
						clearTimeout(timer);
						resolve(m as Extract<ToPredecessor, { kind: K }>);
					}
				});
				child.once('exit', () => {
					clearTimeout(timer);
					resolve(undefined);
				});
			});
		const said = async (kind: ToPredecessor['kind']) => (await hear(kind)) !== undefined;
		if (!(await said('ready'))) {
			child.kill('SIGKILL');
			return `New binary did not start (see the daemon's log)`;
		}
		// The sockets and the nodes go over first, while requests are still handled (snapshot.ts).
		// Node's channel sends a handle only once the one before is acknowledged: a thousand take
		// 0.3-0.6 s. The snapshot waits for the last, and the rehearsals for the snapshot to be
		// loaded, so that requests are held right after the rehearsals and while the successor is
		// idle: run while it loaded, with 1,000 connections, a rehearsal sometimes stopped this
		// process for 20-55 ms; run before the sockets had gone, the capture and the restore took
		// half as long again.
		await new Promise<void>((resolve) => {
			child.once('exit', () => resolve());
			const sockets = [...socketsByFd(daemon).values()].filter((socket) => !sentAt.has(socket));
			if (sockets.length === 0) resolve();
			for (const [i, socket] of sockets.entries()) {
				send(socket, i === sockets.length - 1 ? () => resolve() : undefined);
			}
		});
		const snapshotFile = `${this.stateFile}.snapshot`;
		const started = performance.now();
		const snapshot = await writeSnapshot(daemon.store, snapshotFile, HOST_ENDIAN);
		const loading = hear('loaded', 'not-loaded');
		const clients: number[] = [];
		const guests: number[] = [];
		// Dom0 clients the successor makes connections for now, and where their sockets went.
		const preparedAt = new Map<Connection, number>();
		for (const conn of daemon.connections.values()) {
			const at = conn.transport instanceof SocketTransport ? sentAt.get(conn.transport.socket) : undefined;
			if (at === undefined) continue;
			if (conn.caller.privileged) {
				clients.push(at);
				preparedAt.set(conn, at);
			} else {
				guests.push(at);
			}
		}
		const prepared = (conn: Connection) => preparedAt.get(conn);
		// The rehearsals and the capture share their placement and the shape of their options: a
		// call or a property that the optimized capture met only in the rehearsals' form would throw
		// it back to the interpreter halfway through. Rehearsals place sockets, but send none.
		let rehearsing = true;
		const place: Placement = (fd, socket) => {
			if (socket === undefined) return -1;
			const at = sentAt.get(socket);
			if (at !== undefined) return at;
			// Made since the others were sent (a client that connected meanwhile): it goes over the
			// channel now, and the channel keeps messages in order, so it arrives before `go`.
			return rehearsing ? fd : (send(socket) ?? -1);
		};
		// A domain that went away since made perm entries stale without changing their nodes:
		// then every node goes again, each with its child list.
		const since = () => (daemon.store.departedSince(snapshot.since) ? -1 : snapshot.since);
		const options = (rehearsal: boolean, connections: number): CaptureOptions => ({
			base: { file: snapshotFile, since: since() },
			rehearsal,
			connections,
			prepared,
		});
		child.send({ kind: 'snapshot', file: snapshotFile, clients, guests } satisfies ToSuccessor);
		const loaded = await loading;
		if (loaded?.kind !== 'loaded') {
			child.kill('SIGKILL');
			rmSync(snapshotFile, { force: true });
			const why = loaded === undefined ? 'it exited or stalled' : loaded.reason;
			return `New binary could not load the snapshot of the store: ${why}`;
		}
		log.info(
			`live update: the successor loaded a snapshot of ${daemon.store.tree.nodeCount} nodes ` +
				`${(performance.now() - started).toFixed(0)} ms after it was ready; requests went on meanwhile`,
		);
		await this.rehearseCapture(plan, place, options);
		await this.hold(plan);
		rehearsing = false;
		const written = this.writeState(plan, 'tsxenstored', place, options(false, daemon.connections.size));
		if (typeof written === 'string') {
			child.kill('SIGKILL');
			return this.abandon(written);
		}
		if (await sentAtOnce(child, { kind: 'go' })) {
			// Nothing here reads a client's socket again unless the successor fails: see sentAtOnce.
			const outcome = waitForTakeover([extrasPath(this.stateFile)], child.pid!, TAKEOVER_MS);
			if (outcome === 'taken-over') {
				log.info(`live update: process ${child.pid} serves now; this process ends`);
				process.exit(0);
			}
			child.kill('SIGKILL');
			return this.abandon(`New binary exited or stalled before taking over (see the daemon's log)`);
		}
		// `go` waits behind a socket the successor has not acknowledged yet, and this process will
		// poll again before it leaves: it must not read what clients send from now on.
		log.info('live update: `go` waits behind a socket the successor has not taken yet; reading stops here');
		stopReading(daemon);
		const forwarded: Array<[Socket, number]> = [];
		// Clients accepted from now on are the successor's: each goes over the channel, and this
		// process exits only once none is still on its way (below).
		let inFlight = 0;
		let allSent: (() => void) | undefined;
		daemon.forward = (socket, domid) => {
			// Accepted just now and read by nobody yet: what its client sends is the successor's.
			stopReadingSocket(socket);
			forwarded.push([socket, domid]);
			const handle = bareHandle(socket);
			if (handle === undefined) return;
			inFlight++;
			sendHandle({ kind: 'fresh', domid }, handle, () => {
				inFlight--;
				if (inFlight === 0) allSent?.();
			});
		};
		if (await said('serving')) {
			// A socket still queued here when this process exits would be closed with it: its client,
			// accepted a moment before, would see its connection reset. Once a message is written,
			// the socket it carries waits in the channel for the successor, which reads on.
			if (inFlight > 0) {
				await new Promise<void>((resolve) => {
					allSent = resolve;
					setTimeout(resolve, TAKEOVER_MS).unref();
				});
			}
			log.info(`live update: process ${child.pid} serves now; this process ends`);
			process.exit(0);
		}
		child.kill('SIGKILL');
		daemon.forward = undefined;
		for (const [socket, domid] of forwarded) {
			if (domid === 0) daemon.accept(socket);
			else daemon.domainService.accept(domid, socket);
		}
		return this.abandon(`New binary exited or stalled before taking over (see the daemon's log)`);
	}

	/**
	 * Right before requests are held, capture the connections a few times, one event-loop turn
	 * each, changing nothing: the first run of that code is several times slower than an optimized
	 * one, and the real capture comes while clients wait. After only a turn or two of rehearsals
	 * the capture of 1,000 connections still took 5-12 ms. The first rehearsals take a few connections,
	 * twice as many each time, before the whole ones: run cold, in one turn, the first capture of
	 * 1,000 connections kept every client waiting for 7-22 ms, at times longer than the handover.
	 */
	private async rehearseCapture(
		plan: UpdatePlan,
		place: Placement,
		options: (rehearsal: boolean, connections: number) => CaptureOptions,
	): Promise<void> {
		const requester = plan.requester as Connection;
		const reply = controlReply(plan);
		const all = this.daemon.connections.size;
		let whole = 0;
		for (let connections = FIRST_REHEARSAL_CONNECTIONS; whole < REHEARSALS; connections *= 2) {
			captureState(
				this.daemon,
				'tsxenstored',
				requester,
				reply,
				HOST_ENDIAN,
				place,
				options(true, connections),
			);
			if (connections >= all) whole++;
			await nextTurn();
		}
	}

	/**
	 * To a foreign daemon (C xenstored): write the state, start it with every socket at the number
	 * the state names, and wait, blocked, until it serves: while it starts this process must not
	 * accept a connection on the listening socket they share, nor read from any client.
	 */
	private toForeign(plan: UpdatePlan): string {
		const { place, fds } = placeFromThree();
		const written = this.writeState(plan, 'foreign', place);
		if (typeof written === 'string') return this.abandon(written);
		const [command, argv] = this.command(plan);
		this.daemon.log.info(`live update: starting ${command} ${argv.join(' ')}`);
		const child = spawn(command, argv, {
			stdio: ['ignore', 'inherit', 'inherit', ...fds],
			detached: true,
			env: { ...process.env, XENSTORED_ROOTDIR: this.options.rootDir },
		});
		if (child.pid === undefined) return this.abandon(`New binary could not be started: ${plan.binary}`);
		const files =
			this.legacyStateFile !== undefined ? [this.stateFile, this.legacyStateFile] : [this.stateFile];
		const outcome = waitForTakeover(files, child.pid, TAKEOVER_MS);
		if (outcome === 'taken-over') {
			this.removeStateFiles();
			this.daemon.log.info(`live update: process ${child.pid} serves now; this process ends`);
			process.exit(0);
		}
		child.kill('SIGKILL');
		return this.abandon(
			outcome === 'exited'
				? `New binary exited before taking over (see the daemon's log)`
				: `New binary did not take over within ${TAKEOVER_MS / 1000} s`,
		);
	}

	private removeStateFiles(): void {
		rmSync(this.stateFile, { force: true });
		rmSync(extrasPath(this.stateFile), { force: true });
		if (this.legacyStateFile !== undefined) rmSync(this.legacyStateFile, { force: true });
	}

	private abandon(reason: string): string {
		this.removeStateFiles();
		this.daemon.log.error(`live update failed: ${reason}; serving on`);
		this.daemon.releaseAll();
		// For the next update; forking now costs the clients as much as at the update, once.
		this.standby.restock();
		return reason;
	}
}
