import { XenstoreError } from '../protocol/errors.ts';

/**
 * Quotas, under the names GET_QUOTA and SET_QUOTA use. The first five are the spec's
 * (docs/misc/xenstore.txt); the rest are C xenstored's own, kept with the same meanings so that
 * its command line and tools carry over. 0 disables a quota. Quotas bind unprivileged domains only.
 */
export const QUOTA_NAMES = [
	'nodes',
	'watches',
	'transactions',
	'node-size',
	'permissions',
	'transaction-nodes',
	'memory',
	'outstanding',
	'path-max',
] as const;

export type QuotaName = (typeof QUOTA_NAMES)[number];
export type Quotas = Record<QuotaName, number>;

/** C xenstored's defaults: a domain behaves here as it would there. */
export const DEFAULT_QUOTAS: Readonly<Quotas> = Object.freeze({
	nodes: 1000,
	watches: 128,
	transactions: 10,
	'node-size': 2048,
	permissions: 5,
	'transaction-nodes': 1024,
	memory: 2 * 1024 * 1024 + 512 * 1024,
	outstanding: 20,
	'path-max': 2048,
});

/** Soft quotas only warn in the log. C xenstored has one, for memory. */
export const SOFT_QUOTA_NAMES = ['memory'] as const;
export type SoftQuotaName = (typeof SOFT_QUOTA_NAMES)[number];
export const DEFAULT_SOFT_QUOTAS: Readonly<Record<SoftQuotaName, number>> = Object.freeze({
	memory: 2 * 1024 * 1024,
});

/** C xenstored calls the permissions quota `node-permissions`; both names are accepted. */
const ALIASES: Record<string, QuotaName> = { 'node-permissions': 'permissions' };

export function quotaName(name: string): QuotaName | undefined {
	if ((QUOTA_NAMES as readonly string[]).includes(name)) return name as QuotaName;
	return ALIASES[name];
}

/** Size of a node as C xenstored accounts it against `node-size`: header, perms, value, children. */
export function nodeSize(valueLength: number, permCount: number, childBytes: number): number {
	return 16 + 8 * permCount + valueLength + childBytes;
}

/**
 * Throw ENOSPC when a domain's use would go beyond a quota (0 is unlimited), naming the quota and
 * who hit it. `wanted` is the use after the request would be granted.
 */
export function checkQuota(name: QuotaName, limit: number, wanted: number, domid: number): void {
	if (limit > 0 && wanted > limit) {
		throw new XenstoreError('ENOSPC', `domain ${domid} reached its ${name} quota (${limit})`);
	}
}
