import { canonicalPath } from '../store/path.ts';
import { requireOneArg } from './args.ts';
import { OK, type Operation } from './context.ts';

/** MKDIR `path\0`: make sure the node exists; an existing node keeps its value. */
export const mkdir: Operation = ({ store }, session, { payload }, tx) => {
	store.mkdir(session.caller, tx, canonicalPath(session.paths, requireOneArg(payload, 'MKDIR')));
	return OK;
};
