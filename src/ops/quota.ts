import { XenstoreError } from '../protocol/errors.ts';
import { QUOTA_NAMES, type QuotaName, quotaName } from '../store/quota.ts';
import { atoi, parseDomid, splitStrings } from './args.ts';
import { OK, type Operation } from './context.ts';

function known(name: string): QuotaName {
	const q = quotaName(name);
	if (q === undefined) throw new XenstoreError('EINVAL', `unknown quota "${name}"`);
	return q;
}

/**
 * GET_QUOTA `[[domid\0]name\0]`: no argument lists the quota names, blank-separated; a name gives
 * the global value; a domid and a name give that domain's value.
 */
export const getQuota: Operation = ({ store }, _session, { payload }) => {
	const args = splitStrings(payload);
	if (args.length === 0) return `${QUOTA_NAMES.join(' ')}\0`;
	if (args.length === 1) return `${store.quotas[known(args[0]!)]}\0`;
	if (args.length === 2) {
		const domid = parseDomid(args[0]!);
		return `${store.quota(domid, known(args[1]!))}\0`;
	}
	throw new XenstoreError('EINVAL', 'GET_QUOTA takes at most a domid and a name');
};

/** SET_QUOTA `[domid\0]name\0value\0`: the global default, or one domain's own value. */
export const setQuota: Operation = ({ store }, _session, { payload }) => {
	const args = splitStrings(payload);
	if (args.length === 2) {
		store.quotas[known(args[0]!)] = quotaValue(args[1]!);
		return OK;
	}
	if (args.length === 3) {
		const domain = store.domains.ensure(parseDomid(args[0]!));
		domain.quotas[known(args[1]!)] = quotaValue(args[2]!);
		return OK;
	}
	throw new XenstoreError('EINVAL', 'SET_QUOTA takes an optional domid, a name and a value');
};

function quotaValue(s: string): number {
	const v = atoi(s);
	if (v < 0) throw new XenstoreError('EINVAL', `invalid quota value "${s}"`);
	return v;
}
