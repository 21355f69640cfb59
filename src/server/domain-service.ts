import type { DomainHost } from '../ops/context.ts';
import { INTRODUCE_DOMAIN, RELEASE_DOMAIN } from '../store/path.ts';
import type { Daemon } from './daemon.ts';

/**
 * Domain management for the daemon: introduction and release with their special watch events,
 * and SET_TARGET applied to the domain's connections. Without Xen there is no ring to map: an
 * introduced domain is known to the store but only reachable through an emulated connection.
 */
export class DomainService implements DomainHost {
	private readonly daemon: Daemon;

	constructor(daemon: Daemon) {
		this.daemon = daemon;
	}

	introduce(domid: number, gfn: bigint, evtchn: number): void {
		const { store, log } = this.daemon;
		const domain = store.domains.ensure(domid);
		domain.gfn = gfn;
		domain.evtchn = evtchn;
		if (domain.introduced) return;
		domain.introduced = true;
		log.info(`domain ${domid} introduced (gfn ${gfn}, event channel ${evtchn})`);
		store.watches.fireSpecial(INTRODUCE_DOMAIN, domid, store.tree.special.get(INTRODUCE_DOMAIN)!.perms);
	}

	release(domid: number): void {
		const { store, log } = this.daemon;
		for (const conn of this.daemon.connections.values()) {
			if (conn.caller.domid === domid && !conn.caller.privileged) conn.close(`domain ${domid} released`);
		}
		store.domains.remove(domid);
		log.info(`domain ${domid} released`);
		store.watches.fireSpecial(RELEASE_DOMAIN, domid, store.tree.special.get(RELEASE_DOMAIN)!.perms);
	}

	setTarget(domid: number, target: number): void {
		this.daemon.store.domains.get(domid)!.target = target;
		for (const conn of this.daemon.connections.values()) {
			if (conn.caller.domid === domid && !conn.caller.privileged) conn.caller = { ...conn.caller, target };
		}
	}
}
