import { XenstoreError } from '../protocol/errors.ts';
import { domainHome } from '../store/path.ts';
import { atoi, parseDomid, requireOneArg, splitStrings } from './args.ts';
import { OK, type Operation } from './context.ts';

/** DOMID_SELF: IS_DOMAIN_INTRODUCED answers T for it. */
const DOMID_SELF = 0x7ff0;
/** Domids from here on are special values, never real domains. */
const DOMID_FIRST_RESERVED = 0x7ff0;

/** GET_DOMAIN_PATH `domid\0` → `/local/domain/<domid>\0`. */
export const getDomainPath: Operation = (_services, _session, { payload }) =>
	`${domainHome(parseDomid(requireOneArg(payload, 'GET_DOMAIN_PATH')))}\0`;

/** IS_DOMAIN_INTRODUCED `domid\0` → `T\0` or `F\0`. */
export const isDomainIntroduced: Operation = ({ store }, _session, { payload }) => {
	const domid = parseDomid(requireOneArg(payload, 'IS_DOMAIN_INTRODUCED'));
	return domid === DOMID_SELF || store.domains.isIntroduced(domid) ? 'T\0' : 'F\0';
};

/** INTRODUCE `domid\0gfn\0evtchn\0`: dom0 hands a new guest's ring to the daemon. */
export const introduce: Operation = ({ domains }, _session, { payload }) => {
	const args = splitStrings(payload);
	if (args.length < 3) throw new XenstoreError('EINVAL', 'INTRODUCE takes domid, gfn and event channel');
	const domid = parseDomid(args[0]!);
	const evtchn = atoi(args[2]!);
	if (evtchn <= 0) throw new XenstoreError('EINVAL', `invalid event channel "${args[2]}"`);
	if (domid === 0 || domid >= DOMID_FIRST_RESERVED)
		throw new XenstoreError('EINVAL', `cannot introduce domain ${domid}`);
	domains.introduce(domid, BigInt(atoi(args[1]!)), evtchn);
	return OK;
};

function introducedDomain(services: Parameters<Operation>[0], arg: string): number {
	const domid = parseDomid(arg);
	if (domid === 0) throw new XenstoreError('EINVAL', 'dom0 cannot be released or resumed');
	const d = services.store.domains.get(domid);
	if (d === undefined) throw new XenstoreError('ENOENT', `domain ${domid} is not known`);
	if (!d.introduced) throw new XenstoreError('EINVAL', `domain ${domid} is not introduced`);
	return domid;
}

/** RELEASE `domid\0`: stop talking to a domain. */
export const release: Operation = (services, _session, { payload }) => {
	services.domains.release(introducedDomain(services, requireOneArg(payload, 'RELEASE')));
	return OK;
};

/** RESUME `domid\0`: re-arm @releaseDomain for a domain that shut down and came back. */
export const resume: Operation = (services, _session, { payload }) => {
	const domid = introducedDomain(services, requireOneArg(payload, 'RESUME'));
	services.store.domains.get(domid)!.shutdown = false;
	return OK;
};

/** SET_TARGET `domid\0tdomid\0`: `domid` gets the rights of `tdomid`. */
export const setTarget: Operation = (services, _session, { payload }) => {
	const args = splitStrings(payload);
	if (args.length < 2) throw new XenstoreError('EINVAL', 'SET_TARGET takes domid and target domid');
	const domid = parseDomid(args[0]!);
	const target = parseDomid(args[1]!);
	for (const id of [domid, target]) {
		const d = services.store.domains.get(id);
		if (d === undefined) throw new XenstoreError('ENOENT', `domain ${id} is not known`);
		if (!d.introduced) throw new XenstoreError('EINVAL', `domain ${id} is not introduced`);
	}
	services.domains.setTarget(domid, target);
	return OK;
};
