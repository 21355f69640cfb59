import { rmSync } from 'node:fs';
import { connect, createServer, type Server, Socket } from 'node:net';
import { LiveUpdateControl } from '../liveupdate/control.ts';
import { LiveUpdater } from '../liveupdate/updater.ts';
import type { Services } from '../ops/context.ts';
import { Feature } from '../protocol/limits.ts';
import { domainHome, type PathContext } from '../store/path.ts';
import { type Caller, PRIVILEGED_CALLER } from '../store/perms.ts';
import type { Quotas } from '../store/quota.ts';
import { Store } from '../store/store.ts';
import { Connection, type ConnectionHost } from './connection.ts';
import { ControlService } from './control-service.ts';
import { DomainService } from './domain-service.ts';
import { IdleCompaction } from './idle-compaction.ts';
import type { Logger } from './log.ts';
import { listenPrivately } from './private-socket.ts';
import { SocketTransport } from './socket-transport.ts';
import { Tracer } from './trace.ts';

/** C xenstored's default for `-w watch-event`, in seconds. */
const DEFAULT_WATCH_EVENT_TIMEOUT = 20;

/** Held connections releaseInTurns releases per event-loop turn. */
const RELEASE_PER_TURN = 64;

/** Features this daemon offers: error reporting on rings, watch depth, DOMID_ANY perm entries. */
export const SERVER_FEATURES = Feature.ERROR | Feature.WATCHDEPTH | Feature.DOMID_ANY;

export interface DaemonOptions {
	socketPath: string;
	/** $XENSTORED_RUNDIR: emulated domains' sockets go below it. */
	runDir: string;
	/** $XENSTORED_ROOTDIR: where live update writes its state file. */
	rootDir: string;
	/** The command line this daemon was started with: its successor's, unless live update gives one. */
	originalArgs: readonly string[];
	/** Give each introduced domain a Unix socket that stands for its ring (no Xen needed). */
	emulateDomains?: boolean;
	quotas?: Partial<Quotas>;
	softMemoryQuota?: number;
	traceFile?: string | undefined;
	keepOrphans: boolean;
	log: Logger;
	/** The store will be restored from a predecessor's state: start it without initial nodes. */
	restoring?: boolean;
	/**
	 * `-w watch-event=<seconds>`: a guest that leaves a watch event unread this long loses its
	 * connection (C xenstored's default is 20 s). 0 disables the check.
	 */
	watchEventTimeout?: number;
}

/**
 * The running daemon: the store, the listening socket, every connection, and the once-per-turn
 * flush that batches all replies and events produced while handling one round of input.
 */
export class Daemon implements ConnectionHost {
	readonly store: Store;
	readonly services: Services;
	readonly log: Logger;
	readonly tracer: Tracer;
	readonly options: DaemonOptions;
	readonly connections = new Map<number, Connection>();
	readonly domainService: DomainService;
	readonly liveUpdate: LiveUpdateControl;
	readonly updater: LiveUpdater;
	private server: Server | undefined;
	private timer: NodeJS.Timeout | undefined;
	private idleCompaction: IdleCompaction | undefined;
	/** Live update holds every connection, and any accepted meanwhile, until it ends. */
	private holding = false;
	private nextConnId = 1;
	private dirty = new Set<Connection>();
	private spare = new Set<Connection>();
	private flushScheduled = false;

	constructor(options: DaemonOptions) {
		this.options = options;
		this.log = options.log;
		this.tracer = new Tracer(options.traceFile);
		this.store = new Store({
			quotas: options.quotas,
			features: SERVER_FEATURES,
			warn: (m) => this.log.warn(m),
		});
		if (options.softMemoryQuota !== undefined) this.store.softQuotas.memory = options.softMemoryQuota;
		this.domainService = new DomainService(this);
		this.updater = new LiveUpdater(this, {
			rootDir: options.rootDir,
			runDir: options.runDir,
			originalArgs: options.originalArgs,
		});
		this.liveUpdate = new LiveUpdateControl(this.updater);
		this.services = {
			store: this.store,
			features: SERVER_FEATURES,
			control: new ControlService(this),
			domains: this.domainService,
		};
	}

	/**
	 * Listen on the socket path, made 0600. A socket file left by a dead daemon is replaced; one a
	 * live daemon still answers on is not taken from it.
	 */
	async listen(): Promise<void> {
		const path = this.options.socketPath;
		if (await answers(path)) throw new Error(`another daemon is serving ${path}`);
		rmSync(path, { force: true });
		const server = createServer({ pauseOnConnect: false }, (socket) => this.accept(socket));
		this.server = server;
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			listenPrivately(server, path, () => {
				server.off('error', reject);
				server.on('error', (e) => this.log.error(`listening socket ${path}: ${e.message}`));
				resolve();
			});
		});
	}

	/**
	 * A new client on the Unix socket: dom0's tools, privileged. Relative paths are taken relative to
	 * dom0's home, as C xenstored does (the spec reserves them for domains, but test-xenstore and
	 * other dom0 tools rely on this).
	 */
	accept(socket: Socket): Connection | undefined {
		if (this.forward !== undefined) {
			this.forward(socket, 0);
			return undefined;
		}
		return this.addDom0Client(socket);
	}

	/** A dom0 tool's socket: privileged, relative paths under dom0's home. */
	private addDom0Client(socket: Socket, held = this.holding): Connection {
		return this.addConnection(socket, PRIVILEGED_CALLER, { home: domainHome(0), pathMax: 0 }, held);
	}

	/**
	 * Serve a connected socket as `caller`; `held`, it reads nothing until released (a socket made
	 * paused stays so).
	 */
	addConnection(socket: Socket, caller: Caller, paths: PathContext, held = this.holding): Connection {
		const conn = new Connection(this, this.nextConnId++, new SocketTransport(socket), caller, paths);
		this.connections.set(conn.id, conn);
		if (held) conn.hold(true);
		conn.start();
		this.log.debug(`${conn.label}: connected`);
		return conn;
	}

	/** The listening socket's file descriptor (live update passes it on). */
	get listenerFd(): number {
		return (this.server as unknown as { _handle?: { fd?: number } } | undefined)?._handle?.fd ?? -1;
	}

	/**
	 * Serve a listening socket inherited from a predecessor: a descriptor it passed at a known
	 * number, or a server it sent over the IPC channel.
	 */
	adoptListener(inherited: number | Server): Promise<void> {
		if (typeof inherited !== 'number') {
			this.server = inherited;
			inherited.on('connection', (socket: Socket) => this.accept(socket));
			inherited.on('error', (e) => this.log.error(`listening socket: ${e.message}`));
			return Promise.resolve();
		}
		const server = createServer((socket) => this.accept(socket));
		this.server = server;
		return new Promise((resolve, reject) => {
			server.once('error', reject);
			server.listen({ fd: inherited }, () => {
				server.off('error', reject);
				server.on('error', (e) => this.log.error(`listening socket (fd ${inherited}): ${e.message}`));
				resolve();
			});
		});
	}

	/**
	 * Live update, before requests are held: a dom0 client's socket, made paused, as a connection
	 * that reads nothing until released, so that little is left to do for it in the downtime.
	 */
	prepareConnection(socket: Socket): Connection {
		return this.addDom0Client(socket, true);
	}

	/** Serve a dom0 client's socket inherited from a predecessor (a descriptor number, or a socket sent). */
	adoptSocket(inherited: number | Socket): Connection {
		const socket =
			typeof inherited === 'number'
				? new Socket({ fd: inherited, readable: true, writable: true })
				: inherited;
		return this.addDom0Client(socket);
	}

	/** The listening socket itself (live update sends it to a successor over IPC). */
	get listener(): Server | undefined {
		return this.server;
	}

	/**
	 * Set during a live update's last moments: a connection accepted then is handed to the successor
	 * instead of being served here (domid 0 for the main socket, else an emulated domain's).
	 */
	forward: ((socket: Socket, domid: number) => void) | undefined;

	/** Stop handling requests on every connection (live update). */
	holdAll(): void {
		this.holding = true;
		for (const c of this.connections.values()) c.hold();
	}

	releaseAll(): void {
		this.holding = false;
		for (const c of this.connections.values()) c.release();
	}

	/**
	 * Release held connections RELEASE_PER_TURN at a time, one batch per event-loop turn. Each
	 * connection released starts its socket's reading, and libuv registers every such socket with
	 * epoll at the next poll, one system call each: a thousand at once stopped the loop for
	 * milliseconds, during which no client was answered. A connection waiting for its batch has
	 * nothing to handle yet (live update releases those with input at once); what its client sends
	 * meanwhile waits in the kernel. Batches stop if connections are held again (another live
	 * update): releaseAll then releases them with the rest.
	 */
	releaseInTurns(conns: readonly Connection[]): void {
		let next = 0;
		const batch = () => {
			if (this.holding) return;
			const end = Math.min(next + RELEASE_PER_TURN, conns.length);
			for (; next < end; next++) conns[next]!.release();
			if (next < conns.length) setImmediate(batch);
		};
		batch();
	}

	/**
	 * Write out everything queued and wait until no write is half done anywhere, for at most `ms`.
	 * Returns the connections whose peers did not take their output in that time.
	 */
	async settle(ms: number): Promise<Connection[]> {
		const deadline = Date.now() + ms;
		for (;;) {
			for (const c of this.connections.values()) c.flush();
			const busy = [...this.connections.values()].filter((c) => !c.settled);
			if (busy.length === 0 || Date.now() > deadline) return busy;
			await new Promise((r) => setTimeout(r, 2));
		}
	}

	scheduleFlush(conn: Connection): void {
		this.dirty.add(conn);
		if (this.flushScheduled) return;
		this.flushScheduled = true;
		setImmediate(() => {
			this.flushScheduled = false;
			// Swap sets first: flushing may queue more output, for the next turn.
			const batch = this.dirty;
			this.dirty = this.spare;
			this.spare = batch;
			for (const c of batch) c.flush();
			batch.clear();
		});
	}

	closed(conn: Connection, reason: string): void {
		this.connections.delete(conn.id);
		this.liveUpdate.connectionClosed(conn);
		this.dirty.delete(conn);
		this.log.debug(`${conn.label}: closed: ${reason}`);
	}

	/**
	 * Start the periodic work of a serving daemon: closing guests that leave watch events unread
	 * (see watchEventTimeout) and giving memory back when idle after the store changed size.
	 */
	startHousekeeping(): void {
		this.idleCompaction = new IdleCompaction(() => this.store.tree.nodeCount, this.log);
		this.idleCompaction.start();
		this.startWatchEventTimer();
	}

	private startWatchEventTimer(): void {
		const limitMs = (this.options.watchEventTimeout ?? DEFAULT_WATCH_EVENT_TIMEOUT) * 1000;
		if (limitMs <= 0) return;
		this.timer = setInterval(() => {
			const now = Date.now();
			for (const conn of this.connections.values()) {
				if (conn.caller.privileged || conn.eventWaitMs(now) <= limitMs) continue;
				this.log.warn(`${conn.label}: a watch event waited over ${limitMs / 1000} s; closing it`);
				conn.close('watch events not taken in time');
			}
		}, 1000);
		this.timer.unref();
	}

	/** Stop listening and drop every connection. */
	async shutdown(): Promise<void> {
		if (this.timer !== undefined) clearInterval(this.timer);
		this.idleCompaction?.stop();
		for (const conn of [...this.connections.values()]) conn.close('daemon shutting down');
		this.domainService.closeAll();
		await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
		this.tracer.close();
	}
}

/** Whether something accepts connections on a Unix socket path. */
function answers(path: string): Promise<boolean> {
	return new Promise((resolve) => {
		const probe = connect(path);
		probe.once('connect', () => {
			probe.destroy();
			resolve(true);
		});
		probe.once('error', () => resolve(false));
	});
}
