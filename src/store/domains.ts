import type { Quotas } from './quota.ts';

/**
 * What the daemon knows about a domain apart from its nodes: whether dom0 has introduced it, its
 * ring's coordinates, its features, its own quota values and its SET_TARGET target. Dom0 is always
 * known. A record may exist before INTRODUCE (SET_FEATURE and SET_QUOTA are allowed then).
 */
export interface Domain {
	readonly domid: number;
	introduced: boolean;
	/** INTRODUCE's gfn (kept for the migration stream; unused without Xen) and event channel. */
	gfn: bigint;
	evtchn: number;
	/** Server features the domain's ring advertises (SET_FEATURE before INTRODUCE). */
	features: number;
	/** This domain's quota values: a copy of the global ones when the record was made, then its own. */
	quotas: Partial<Quotas>;
	/** SET_TARGET: the domain this one acts for (a device model for its guest). */
	target: number | undefined;
	/** @releaseDomain was sent for a shutdown; RESUME re-arms it. */
	shutdown: boolean;
}

export class DomainTable {
	private readonly domains = new Map<number, Domain>();
	private readonly defaultFeatures: number;
	private readonly defaultQuotas: () => Partial<Quotas>;

	/**
	 * `defaultQuotas` gives the global quota values of the moment: a new domain starts with a copy,
	 * so that changing a global value later applies to new domains only, as the spec says.
	 */
	constructor(defaultFeatures: number, defaultQuotas: () => Partial<Quotas> = () => ({})) {
		this.defaultFeatures = defaultFeatures;
		this.defaultQuotas = defaultQuotas;
		this.ensure(0).introduced = true;
	}

	get(domid: number): Domain | undefined {
		return this.domains.get(domid);
	}

	/** The record of a domain, created empty if there is none (there is no hypervisor to ask). */
	ensure(domid: number): Domain {
		let d = this.domains.get(domid);
		if (d === undefined) {
			d = {
				domid,
				introduced: false,
				gfn: 0n,
				evtchn: 0,
				features: this.defaultFeatures,
				quotas: domid === 0 ? {} : { ...this.defaultQuotas() },
				target: undefined,
				shutdown: false,
			};
			this.domains.set(domid, d);
		}
		return d;
	}

	isIntroduced(domid: number): boolean {
		return this.domains.get(domid)?.introduced === true;
	}

	/** Forget a released domain entirely: a later domain with its id starts afresh. */
	remove(domid: number): void {
		if (domid !== 0) this.domains.delete(domid);
	}

	all(): IterableIterator<Domain> {
		return this.domains.values();
	}
}
