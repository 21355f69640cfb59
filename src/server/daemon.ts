import { chmodSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Services } from '../ops/context.ts';
import { Feature } from '../protocol/limits.ts';
import { domainHome } from '../store/path.ts';
import { PRIVILEGED_CALLER } from '../store/perms.ts';
import type { Quotas } from '../store/quota.ts';
import { Store } from '../store/store.ts';
import { Connection, type ConnectionHost } from './connection.ts';
import { ControlService } from './control-service.ts';
import { DomainService } from './domain-service.ts';
import type { Logger } from './log.ts';
import { SocketTransport } from './socket-transport.ts';
import { Tracer } from './trace.ts';

/** Features this daemon offers: error reporting on rings, watch depth, DOMID_ANY perm entries. */
export const SERVER_FEATURES = Feature.ERROR | Feature.WATCHDEPTH | Feature.DOMID_ANY;

export interface DaemonOptions {
	socketPath: string;
	quotas?: Partial<Quotas>;
	softMemoryQuota?: number;
	traceFile?: string | undefined;
	keepOrphans?: boolean;
	log: Logger;
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
	private server: Server | undefined;
	private nextConnId = 1;
	private readonly dirty = new Set<Connection>();
	private flushScheduled = false;

	constructor(options: DaemonOptions) {
		this.options = options;
		this.log = options.log;
		this.tracer = new Tracer(options.traceFile);
		this.store = new Store({ quotas: options.quotas, features: SERVER_FEATURES });
		if (options.softMemoryQuota !== undefined) this.store.softQuotas.memory = options.softMemoryQuota;
		this.services = {
			store: this.store,
			features: SERVER_FEATURES,
			control: new ControlService(this),
			domains: new DomainService(this),
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
			server.listen(path, () => {
				server.off('error', reject);
				chmodSync(path, 0o600);
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
	accept(socket: Socket): Connection {
		const conn = new Connection(this, this.nextConnId++, new SocketTransport(socket), PRIVILEGED_CALLER, {
			home: domainHome(0),
			pathMax: 0,
		});
		this.connections.set(conn.id, conn);
		conn.start();
		this.log.debug(`${conn.label}: connected`);
		return conn;
	}

	scheduleFlush(conn: Connection): void {
		this.dirty.add(conn);
		if (this.flushScheduled) return;
		this.flushScheduled = true;
		setImmediate(() => {
			this.flushScheduled = false;
			for (const c of this.dirty) c.flush();
			this.dirty.clear();
		});
	}

	closed(conn: Connection, reason: string): void {
		this.connections.delete(conn.id);
		this.dirty.delete(conn);
		this.log.debug(`${conn.label}: closed: ${reason}`);
	}

	/** Stop listening and drop every connection. */
	async shutdown(): Promise<void> {
		for (const conn of [...this.connections.values()]) conn.close('daemon shutting down');
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
