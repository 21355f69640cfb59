import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, Socket } from 'node:net';
import { join } from 'node:path';
import type { DomainHost } from '../ops/context.ts';
import { domainHome, INTRODUCE_DOMAIN, RELEASE_DOMAIN } from '../store/path.ts';
import type { Connection } from './connection.ts';
import type { Daemon } from './daemon.ts';
import { listenPrivately } from './private-socket.ts';

/**
 * Domain management for the daemon: introduction and release with their special watch events,
 * SET_TARGET applied to the domain's connections, and emulated domains. Without Xen there is no
 * ring to map: with `--emulate-domains`, an introduced domain gets a Unix socket at
 * `$XENSTORED_RUNDIR/domain/<domid>/socket`, and whoever connects there is that domain in every
 * respect (unprivileged, paths relative to its home, its perms and quotas).
 */
export class DomainService implements DomainHost {
	private readonly daemon: Daemon;
	private readonly sockets = new Map<number, Server>();

	constructor(daemon: Daemon) {
		this.daemon = daemon;
	}

	introduce(domid: number, gfn: bigint, evtchn: number): void {
		const { store, log } = this.daemon;
		const domain = store.domains.ensure(domid);
		domain.gfn = gfn;
		domain.evtchn = evtchn;
		if (domain.introduced) {
			for (const conn of this.connectionsOf(domid)) conn.restart(`domain ${domid} introduced again`);
			return;
		}
		domain.introduced = true;
		domain.shutdown = false;
		log.info(`domain ${domid} introduced (gfn ${gfn}, event channel ${evtchn})`);
		if (this.daemon.options.emulateDomains) this.openSocket(domid);
		store.watches.fireSpecial(INTRODUCE_DOMAIN, domid, store.tree.special.get(INTRODUCE_DOMAIN)!.perms);
	}

	/** Where an emulated domain's socket lives. */
	socketPath(domid: number): string {
		return join(this.daemon.options.runDir, 'domain', String(domid), 'socket');
	}

	private openSocket(domid: number): void {
		const path = this.socketPath(domid);
		try {
			mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
			rmSync(path, { force: true });
		} catch (e) {
			this.daemon.log.error(`domain ${domid}: cannot prepare ${path}: ${(e as Error).message}`);
			return;
		}
		const server = createServer((socket) => {
			this.accept(domid, socket);
		});
		server.on('error', (e) => this.daemon.log.error(`domain ${domid}: socket ${path}: ${e.message}`));
		listenPrivately(server, path);
		this.sockets.set(domid, server);
	}

	/** Live update: serve an emulated domain's listening socket passed by the predecessor. */
	adoptListener(domid: number, inherited: number | Server): void {
		const server = typeof inherited === 'number' ? createServer() : inherited;
		server.on('connection', (socket: Socket) => this.accept(domid, socket));
		server.on('error', (e) => this.daemon.log.error(`domain ${domid}: socket: ${e.message}`));
		if (typeof inherited === 'number') server.listen({ fd: inherited });
		this.sockets.set(domid, server);
	}

	/** Live update: an emulated domain's client connection passed by the predecessor. */
	adoptConnection(domid: number, inherited: number | Socket): Connection | undefined {
		const socket =
			typeof inherited === 'number'
				? new Socket({ fd: inherited, readable: true, writable: true })
				: inherited;
		return this.accept(domid, socket);
	}

	/** With emulation on, give every introduced guest without one its socket (after a restore). */
	openMissingSockets(): void {
		if (!this.daemon.options.emulateDomains) return;
		for (const domain of this.daemon.store.domains.all()) {
			if (domain.domid !== 0 && domain.introduced && !this.sockets.has(domain.domid))
				this.openSocket(domain.domid);
		}
	}

	/** A connection on an emulated domain's socket: that domain, unprivileged. */
	accept(domid: number, socket: Socket): Connection | undefined {
		const { store } = this.daemon;
		if (this.daemon.forward !== undefined) {
			this.daemon.forward(socket, domid);
			return undefined;
		}
		return this.daemon.addConnection(
			socket,
			{ domid, privileged: false, target: store.domains.get(domid)?.target },
			{
				home: domainHome(domid),
				get pathMax() {
					return store.quota(domid, 'path-max');
				},
			},
		);
	}

	release(domid: number): void {
		const { store, log } = this.daemon;
		for (const conn of this.connectionsOf(domid)) conn.close(`domain ${domid} released`);
		const server = this.sockets.get(domid);
		if (server !== undefined) {
			this.sockets.delete(domid);
			server.close();
			rmSync(join(this.socketPath(domid), '..'), { recursive: true, force: true });
		}
		store.domains.remove(domid);
		store.domainGone(domid, this.daemon.options.keepOrphans);
		log.info(`domain ${domid} released`);
		store.watches.fireSpecial(RELEASE_DOMAIN, domid, store.tree.special.get(RELEASE_DOMAIN)!.perms);
	}

	setTarget(domid: number, target: number): void {
		this.daemon.store.domains.get(domid)!.target = target;
		for (const conn of this.connectionsOf(domid)) conn.caller = { ...conn.caller, target };
	}

	usage(domid: number): { watches: number; transactions: number } {
		let watches = 0;
		let transactions = 0;
		for (const c of this.connectionsOf(domid)) {
			watches += c.watches.size;
			transactions += c.transactions.size;
		}
		return { watches, transactions };
	}

	/** The unprivileged connections speaking for a domain. */
	connectionsOf(domid: number): Connection[] {
		return [...this.daemon.connections.values()].filter(
			(c) => c.caller.domid === domid && !c.caller.privileged,
		);
	}

	/** Each emulated domain's listening socket and its descriptor (live update passes them on). */
	*listeners(): Generator<[number, Server, number]> {
		for (const [domid, server] of this.sockets) {
			const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
			if (fd !== undefined && fd >= 0) yield [domid, server, fd];
		}
	}

	/** Close every emulated domain socket (daemon shutdown). */
	closeAll(): void {
		for (const [domid, server] of this.sockets) {
			server.close();
			rmSync(join(this.socketPath(domid), '..'), { recursive: true, force: true });
		}
		this.sockets.clear();
	}
}
