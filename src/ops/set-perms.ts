import { XenstoreError } from '../protocol/errors.ts';
import { canonicalPath, canonicalWatchPath } from '../store/path.ts';
import { type PermEntry, parsePerm } from '../store/perms.ts';
import { splitStrings } from './args.ts';
import { OK, type Operation } from './context.ts';

/**
 * SET_PERMS `path\0perm\0perm\0...`: at least one perm; the first names the owner. Only the owner
 * may change perms, and only a privileged caller the owner.
 */
export const setPerms: Operation = ({ store }, session, { payload, tx }) => {
	const args = splitStrings(payload);
	if (args.length < 2) throw new XenstoreError('EINVAL', 'SET_PERMS needs a path and at least one perm');
	const [raw, ...strings] = args as [string, ...string[]];
	const perms: PermEntry[] = [];
	for (const s of strings) {
		const p = parsePerm(s);
		if (p === undefined) throw new XenstoreError('EINVAL', `invalid perm "${s}"`);
		perms.push(p);
	}
	const path = raw.startsWith('@')
		? canonicalWatchPath(session.paths, raw).path
		: canonicalPath(session.paths, raw);
	store.setPerms(session.caller, tx, path, Object.freeze(perms));
	return OK;
};
