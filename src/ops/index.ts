import { MessageType } from '../protocol/message-type.ts';
import type { Operation } from './context.ts';
import { control } from './control.ts';
import { directory } from './directory.ts';
import { directoryPart } from './directory-part.ts';
import { getDomainPath, introduce, isDomainIntroduced, release, resume, setTarget } from './domain.ts';
import { getFeature, setFeature } from './feature.ts';
import { getPerms } from './get-perms.ts';
import { mkdir } from './mkdir.ts';
import { getQuota, setQuota } from './quota.ts';
import { read } from './read.ts';
import { rm } from './rm.ts';
import { setPerms } from './set-perms.ts';
import { transactionEnd, transactionStart } from './transaction.ts';
import { resetWatches, unwatch, watch } from './watch.ts';
import { write } from './write.ts';

export interface OperationEntry {
	readonly name: string;
	readonly run: Operation;
	/** Only privileged callers (dom0) may send it: others get EACCES. */
	readonly privileged: boolean;
	/** The header's tx_id is ignored (WATCH, UNWATCH): no transaction lookup. */
	readonly ignoresTransaction: boolean;
}

function entry(
	name: string,
	run: Operation,
	flags: { privileged?: boolean; noTx?: boolean } = {},
): OperationEntry {
	return { name, run, privileged: flags.privileged ?? false, ignoresTransaction: flags.noTx ?? false };
}

/**
 * Every request type the daemon serves, with the checks made before it runs. A type absent here
 * (WATCH_EVENT and ERROR are replies only, 20 was RESTRICT, INVALID never is) answers ENOSYS.
 */
export const OPERATIONS: ReadonlyMap<number, OperationEntry> = new Map([
	[MessageType.CONTROL, entry('CONTROL', control, { privileged: true })],
	[MessageType.DIRECTORY, entry('DIRECTORY', directory)],
	[MessageType.READ, entry('READ', read)],
	[MessageType.GET_PERMS, entry('GET_PERMS', getPerms)],
	[MessageType.WATCH, entry('WATCH', watch, { noTx: true })],
	[MessageType.UNWATCH, entry('UNWATCH', unwatch, { noTx: true })],
	[MessageType.TRANSACTION_START, entry('TRANSACTION_START', transactionStart)],
	[MessageType.TRANSACTION_END, entry('TRANSACTION_END', transactionEnd)],
	[MessageType.INTRODUCE, entry('INTRODUCE', introduce, { privileged: true })],
	[MessageType.RELEASE, entry('RELEASE', release, { privileged: true })],
	[MessageType.GET_DOMAIN_PATH, entry('GET_DOMAIN_PATH', getDomainPath)],
	[MessageType.WRITE, entry('WRITE', write)],
	[MessageType.MKDIR, entry('MKDIR', mkdir)],
	[MessageType.RM, entry('RM', rm)],
	[MessageType.SET_PERMS, entry('SET_PERMS', setPerms)],
	[MessageType.IS_DOMAIN_INTRODUCED, entry('IS_DOMAIN_INTRODUCED', isDomainIntroduced, { privileged: true })],
	[MessageType.RESUME, entry('RESUME', resume, { privileged: true })],
	[MessageType.SET_TARGET, entry('SET_TARGET', setTarget, { privileged: true })],
	[MessageType.RESET_WATCHES, entry('RESET_WATCHES', resetWatches)],
	[MessageType.DIRECTORY_PART, entry('DIRECTORY_PART', directoryPart)],
	[MessageType.GET_FEATURE, entry('GET_FEATURE', getFeature)],
	[MessageType.SET_FEATURE, entry('SET_FEATURE', setFeature, { privileged: true })],
	[MessageType.GET_QUOTA, entry('GET_QUOTA', getQuota, { privileged: true })],
	[MessageType.SET_QUOTA, entry('SET_QUOTA', setQuota, { privileged: true })],
]);
