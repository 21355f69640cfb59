import { XenstoreError } from '../protocol/errors.ts';
import { Feature } from '../protocol/limits.ts';
import { canonicalPath, canonicalWatchPath } from '../store/path.ts';
import { DOMID_ANY, type PermEntry, parsePerm } from '../store/perms.ts';
import { splitStrings } from './args.ts';
import { OK, type Operation } from './context.ts';
import { featuresOf } from './feature.ts';

/**
 * SET_PERMS `path\0perm\0perm\0...`: at least one perm; the first names the owner. Only the owner
 * may change perms, and only a privileged caller the owner. A caller whose domain lacks feature
 * DOMID_ANY writes DOMID_ANY entries as stale, matching nobody, and may not make DOMID_ANY the
 * owner (ENOENT, as for an owner that does not exist), as C xenstored's domain_alloc_permrefs.
 */
export const setPerms: Operation = (services, session, { payload }, tx) => {
	const args = splitStrings(payload);
	if (args.length < 2) throw new XenstoreError('EINVAL', 'SET_PERMS needs a path and at least one perm');
	const [raw, ...strings] = args as [string, ...string[]];
	const anyAllowed = (featuresOf(services, session.caller) & Feature.DOMID_ANY) !== 0;
	const perms: PermEntry[] = [];
	for (const s of strings) {
		const p = parsePerm(s);
		if (p === undefined) throw new XenstoreError('EINVAL', `invalid perm "${s}"`);
		perms.push(p.domid === DOMID_ANY && !anyAllowed ? { ...p, stale: true } : p);
	}
	if (perms[0]!.stale)
		throw new XenstoreError('ENOENT', `domain ${session.caller.domid} may not use DOMID_ANY`);
	const path = raw.startsWith('@')
		? canonicalWatchPath(session.paths, raw).path
		: canonicalPath(session.paths, raw);
	services.store.setPerms(session.caller, tx, path, Object.freeze(perms));
	return OK;
};
