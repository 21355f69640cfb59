import { XenstoreError } from '../protocol/errors.ts';
import { splitPathValue } from '../protocol/payload.ts';
import { valueFromBytes } from '../store/node.ts';
import { canonicalPath } from '../store/path.ts';
import { OK, type Operation } from './context.ts';

/** WRITE `path\0value`: the value is every byte after the first NUL; missing parents are created. */
export const write: Operation = ({ store }, session, { payload }, tx) => {
	const parts = splitPathValue(payload);
	if (parts === undefined) throw new XenstoreError('EINVAL', 'WRITE needs path\\0value');
	const path = canonicalPath(session.paths, parts.path);
	// The payload is a view of the connection's read buffer: the store keeps its own copy.
	store.write(session.caller, tx, path, valueFromBytes(parts.value));
	return OK;
};
