import { MessageType } from '../protocol/message-type.ts';
import { splitStrings } from '../protocol/payload.ts';
import type { Call } from './call.ts';
import { listDirectory } from './directory.ts';
import { argsPayload, pathValuePayload } from './payload.ts';
import { formatPermission, type Permission, parsePermission } from './perms.ts';

/**
 * The operations on nodes, the same inside a transaction and outside (transaction id 0).
 * The client and each transaction are both this, with their own transaction id.
 */
export class NodeOperations {
	protected readonly call: Call;
	/** The transaction these operations run in; 0 outside any. */
	readonly txId: number;

	constructor(call: Call, txId: number) {
		this.call = call;
		this.txId = txId;
	}

	/** The value of `path`, as the bytes stored. */
	async read(path: string): Promise<Buffer> {
		return this.pathRequest(MessageType.READ, 'read', path);
	}

	/** The value of `path` decoded as UTF-8. */
	async readString(path: string): Promise<string> {
		return (await this.read(path)).toString('utf8');
	}

	/** Store `value` at `path`, creating missing parents; a string is stored as UTF-8. */
	async write(path: string, value: Buffer | string): Promise<void> {
		const what = `write ${path}`;
		await this.call(MessageType.WRITE, this.txId, pathValuePayload(path, value, what), what);
	}

	/** Make sure `path` exists; an existing node keeps its value. */
	async mkdir(path: string): Promise<void> {
		await this.pathRequest(MessageType.MKDIR, 'mkdir', path);
	}

	/** Remove `path` and everything below it; fine when it is absent but its parent exists. */
	async rm(path: string): Promise<void> {
		await this.pathRequest(MessageType.RM, 'rm', path);
	}

	/** The names of the children of `path`, however long the list (see directory.ts). */
	async directory(path: string): Promise<string[]> {
		return listDirectory(this.call, this.txId, path);
	}

	/** The permissions of `path`: the owner first. */
	async getPerms(path: string): Promise<Permission[]> {
		return splitStrings(await this.pathRequest(MessageType.GET_PERMS, 'get perms', path)).map(
			parsePermission,
		);
	}

	/** Replace the permissions of `path` (or of a special `@` path); the first entry is the owner. */
	async setPerms(path: string, perms: readonly Permission[]): Promise<void> {
		if (perms.length === 0) throw new TypeError(`set perms ${path}: at least the owner entry is needed`);
		const entries = perms.map(formatPermission);
		const what = `set perms ${path} ${entries.join(' ')}`;
		await this.call(MessageType.SET_PERMS, this.txId, argsPayload([path, ...entries], what), what);
	}

	private async pathRequest(type: number, verb: string, path: string): Promise<Buffer> {
		const what = `${verb} ${path}`;
		return this.call(type, this.txId, argsPayload([path], what), what);
	}
}
