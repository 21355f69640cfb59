/**
 * The records of a migration stream, typed. Byte strings that the format ends with a NUL (paths,
 * tokens, quota names) are held as latin1 strings, one character per byte, so any byte survives;
 * node values and pending connection data, which may hold anything, are Buffers.
 */
import type { PermLetter } from './constants.ts';

export interface EndRecord {
	readonly type: 'END';
}

export interface GlobalDataRecord {
	readonly type: 'GLOBAL_DATA';
	/** The listening socket's file descriptor, or -1. */
	readonly socketFd: number;
	/** The event-channel device's file descriptor. */
	readonly evtchnFd: number;
	/**
	 * oxenstored's text dump only: the VIRQ_DOM_EXC port bound on the event-channel device. The
	 * binary format has no field for it.
	 */
	readonly domexcPort?: number;
}

export interface RingSpec {
	readonly kind: 'ring';
	readonly domid: number;
	/** The domain set by SET_TARGET, or NO_TARGET (0x7FF4). */
	readonly target: number;
	/** The daemon's own (local) port of the domain's event channel. */
	readonly evtchn: number;
	/** oxenstored's text dump only: the ring page's machine frame number. */
	readonly mfn?: bigint;
	/** oxenstored's text dump only: the guest's end of the event channel. */
	readonly remotePort?: number;
}

export interface SocketSpec {
	readonly kind: 'socket';
	readonly fd: number;
}

export type ConnectionSpec = RingSpec | SocketSpec;

export interface ConnectionDataRecord {
	readonly type: 'CONNECTION_DATA';
	/** Non-zero; other records name the connection by it. */
	readonly connId: number;
	readonly spec: ConnectionSpec;
	/** Bytes read from the connection and not yet processed (whole or partial requests). */
	readonly pendingIn: Buffer;
	/** Bytes not yet written to the connection, a partly sent response first. */
	readonly pendingOut: Buffer;
	/** How many bytes at the start of pendingOut are the rest of a partly sent response. */
	readonly partialResponseLength: number;
	/** The domain's unique id (fields bit 0), present for ring connections of live update. */
	readonly uniqueId?: bigint;
}

export interface WatchDataRecord {
	readonly type: 'WATCH_DATA';
	readonly connId: number;
	readonly path: string;
	readonly token: string;
}

/** Version 2 and later: a watch with a depth limit (UNLIMITED_DEPTH for none). */
export interface WatchDataExtendedRecord {
	readonly type: 'WATCH_DATA_EXTENDED';
	readonly connId: number;
	readonly path: string;
	readonly token: string;
	readonly depth: number;
}

export interface TransactionDataRecord {
	readonly type: 'TRANSACTION_DATA';
	readonly connId: number;
	readonly txId: number;
}

export interface NodePerm {
	readonly access: PermLetter;
	readonly domid: number;
	/** The entry names a domain that went away: ignored in permission checks. */
	readonly stale: boolean;
}

export interface NodeDataRecord {
	readonly type: 'NODE_DATA';
	/** 0 for a committed node, else the connection whose transaction holds this node. */
	readonly connId: number;
	/** The transaction (0 for a committed node). */
	readonly txId: number;
	/** Inside a transaction: NodeAccess bits (READ, WRITTEN), 0 for a deleted node. */
	readonly access: number;
	/** Owner first. Empty only for a node deleted in a transaction. */
	readonly perms: readonly NodePerm[];
	/** Absolute path, or a special node such as `@introduceDomain`. */
	readonly path: string;
	readonly value: Buffer;
}

export interface QuotaValue {
	readonly name: string;
	/** 0 means unlimited. */
	readonly value: number;
}

export interface GlobalQuotaDataRecord {
	readonly type: 'GLOBAL_QUOTA_DATA';
	/** Defaults that apply to every domain. */
	readonly perDomain: readonly QuotaValue[];
	/** Limits that apply to the daemon as a whole. */
	readonly globalOnly: readonly QuotaValue[];
}

export interface DomainDataRecord {
	readonly type: 'DOMAIN_DATA';
	readonly domid: number;
	/** The ring page's server features (version 2; written as 0 in version 1). */
	readonly features: number;
	readonly quotas: readonly QuotaValue[];
}

export type MigrationRecord =
	| EndRecord
	| GlobalDataRecord
	| ConnectionDataRecord
	| WatchDataRecord
	| WatchDataExtendedRecord
	| TransactionDataRecord
	| NodeDataRecord
	| GlobalQuotaDataRecord
	| DomainDataRecord;

export type MigrationRecordType = MigrationRecord['type'];

export type RecordOf<T extends MigrationRecordType> = Extract<MigrationRecord, { type: T }>;

export const END: EndRecord = Object.freeze({ type: 'END' });

/** A connection with nothing pending: how a dump or a capture names one it only knows of. */
export function idleConnection(connId: number, spec: ConnectionSpec): ConnectionDataRecord {
	return {
		type: 'CONNECTION_DATA',
		connId,
		spec,
		pendingIn: Buffer.alloc(0),
		pendingOut: Buffer.alloc(0),
		partialResponseLength: 0,
	};
}
