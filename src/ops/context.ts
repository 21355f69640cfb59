import { XenstoreError } from '../protocol/errors.ts';
import type { Frame } from '../protocol/frame.ts';
import type { PathContext } from '../store/path.ts';
import type { Caller } from '../store/perms.ts';
import type { Store } from '../store/store.ts';
import type { Transaction } from '../store/transaction.ts';
import type { Watch, Watcher } from '../store/watches.ts';

/** A connection as operations see it: who is asking, and what it holds. */
export interface Session extends Watcher {
	/** Unique, non-zero: the conn-id of the migration stream. */
	readonly id: number;
	readonly caller: Caller;
	readonly paths: PathContext;
	readonly transactions: Map<number, Transaction>;
	/** Watches keyed by `${path}\0${token}`: a connection may not set the same pair twice. */
	readonly watches: Map<string, Watch>;
	/** A fresh transaction id: non-zero, not in use on this connection. */
	nextTransactionId(): number;
	/** Queue a watch event right behind the reply to the request being handled. */
	eventAfterReply(path: string, token: string): void;
}

/** Daemon facilities the CONTROL command and domain operations reach. */
export interface Services {
	readonly store: Store;
	readonly control: ControlHost;
	readonly domains: DomainHost;
	/** Server features this daemon offers a domain (GET_FEATURE without a domid, SET_FEATURE mask). */
	readonly features: number;
}

/** What CONTROL needs from the daemon around the store: logging, reports, live update. */
export interface ControlHost {
	/** `log on|off`: the trace log. */
	setTraceLog(on: boolean): void;
	/** `logfile <file>`: trace to another file. */
	setTraceFile(file: string): void;
	/** `memreport [file]`: false when there is nowhere to write it. */
	memoryReport(file: string | undefined): boolean;
	/** `print <text>`: one line in the daemon's log. */
	print(text: string): void;
	/** `quota <domid>`: what a domain uses beyond its nodes, or undefined for an unknown domain. */
	domainUsage(domid: number): DomainUsage | undefined;
	/** `live-update ...`: the reply text ("OK" or a sentence saying why not). */
	liveUpdate(session: Session, args: string[], reqId: number, txId: number): string | Promise<string>;
}

export interface DomainUsage {
	watches: number;
	transactions: number;
	outstanding: number;
	memory: number;
}

/** Domain management beyond the store: connections to guests, special watch events. */
export interface DomainHost {
	/** INTRODUCE: start talking to a domain (validated by the caller). */
	introduce(domid: number, gfn: bigint, evtchn: number): void;
	/** RELEASE: stop talking to it and forget it. */
	release(domid: number): void;
	/** SET_TARGET: let `domid` act with the rights of `target`. */
	setTarget(domid: number, target: number): void;
	/** Watches and open transactions of all a domain's connections (their quotas are per domain). */
	usage(domid: number): { watches: number; transactions: number };
}

/** A reply payload: bytes, or a string written byte for byte. */
export type Reply = Buffer | string;

/**
 * What an operation answers: a reply, or an error it returns instead of throwing. Everyday
 * failures are returned (reading or listing a node that does not exist, a commit that conflicts):
 * toolstacks probe for optional nodes all the time, and V8 makes a throw walk every frame up to
 * the dispatcher, which here cost about 3 us a request, more than the rest of the read. Rarer
 * failures are thrown, from wherever they are found.
 */
export type Answer = Reply | XenstoreError;

/**
 * One operation: the request as received (its payload a view of the read buffer, valid until the
 * answer), and the transaction its id names, already looked up.
 */
export type Operation = (
	services: Services,
	session: Session,
	request: Frame,
	tx: Transaction | undefined,
) => Answer | Promise<Answer>;

/**
 * The everyday error answers, made once: only the code reaches the client, and making an Error
 * costs more than the rest of the request.
 */
export const MISSING = new XenstoreError('ENOENT');
export const CONFLICT = new XenstoreError('EAGAIN');

/** The common reply of operations that return nothing else. */
export const OK: Reply = 'OK\0';
