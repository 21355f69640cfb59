import { XenstoreError } from '../protocol/errors.ts';
import type { Caller } from '../store/perms.ts';
import { atoi, parseDomid, splitStrings } from './args.ts';
import { OK, type Operation, type Services } from './context.ts';

/**
 * The features a caller's requests are judged by: a domain's own (as set before its INTRODUCE),
 * everything the daemon has for privileged callers (C xenstored's feature_available).
 */
export function featuresOf({ store, features }: Services, caller: Caller): number {
	if (caller.privileged) return features;
	return store.domains.get(caller.domid)?.features ?? features;
}

/**
 * GET_FEATURE `[domid\0]` → decimal feature bits: without a domid, those of the caller's own
 * connection; with one (privileged callers only), those of that domain's ring.
 */
export const getFeature: Operation = (services, session, { payload }) => {
	const args = splitStrings(payload);
	if (args.length === 0) return `${featuresOf(services, session.caller)}\0`;
	if (!session.caller.privileged) throw new XenstoreError('EACCES', 'only dom0 may ask for another domain');
	if (args.length > 1) throw new XenstoreError('EINVAL', 'GET_FEATURE takes at most a domid');
	return `${services.store.domains.ensure(parseDomid(args[0]!)).features}\0`;
};

/** SET_FEATURE `domid\0value\0`: only before INTRODUCE, only bits this daemon supports. */
export const setFeature: Operation = ({ store, features }, _session, { payload }) => {
	const args = splitStrings(payload);
	if (args.length !== 2) throw new XenstoreError('EINVAL', 'SET_FEATURE takes domid and value');
	const domain = store.domains.ensure(parseDomid(args[0]!));
	const value = atoi(args[1]!) >>> 0;
	if (domain.introduced) throw new XenstoreError('EBUSY', `domain ${domain.domid} is already introduced`);
	if ((value & ~features) !== 0) throw new XenstoreError('EINVAL', `unsupported feature bits in ${value}`);
	domain.features = value;
	return OK;
};
