/**
 * A tsxenstored started with --emulate-domains, a raw dom0 connection to it, and the steps a
 * toolstack takes: introduce a domain (its socket appears), give it a home it owns, release it.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Daemon, startTsxenstored } from '../harness/daemons.ts';
import { MessageType, RawClient, strings } from './raw.ts';

export interface ToolResult {
	code: number;
	stdout: string;
	stderr: string;
}

export class Emulation {
	readonly daemon: Daemon;
	readonly dom0: RawClient;
	private readonly clients: RawClient[] = [];
	private checks = 0;

	private constructor(daemon: Daemon, dom0: RawClient) {
		this.daemon = daemon;
		this.dom0 = dom0;
	}

	static async start(args: string[] = []): Promise<Emulation> {
		const daemon = await startTsxenstored({ args: ['--emulate-domains', ...args] });
		try {
			return new Emulation(daemon, await RawClient.connect(daemon.socket));
		} catch (e) {
			await daemon.stop();
			throw e;
		}
	}

	socketOf(domid: number): string {
		return join(this.daemon.dir, 'domain', String(domid), 'socket');
	}

	/** INTRODUCE, as dom0 does for a new guest (gfn and event channel mean nothing here). */
	async introduce(domid: number): Promise<void> {
		await this.dom0.ok(MessageType.INTRODUCE, strings(String(domid), '4096', '1'));
	}

	/** INTRODUCE plus the home a toolstack creates: /local/domain/<domid>, owned by the domain. */
	async introduceWithHome(domid: number): Promise<void> {
		await this.introduce(domid);
		await this.dom0.ok(MessageType.MKDIR, strings(`/local/domain/${domid}`));
		await this.dom0.ok(MessageType.SET_PERMS, strings(`/local/domain/${domid}`, `n${domid}`));
	}

	async release(domid: number): Promise<void> {
		await this.dom0.ok(MessageType.RELEASE, strings(String(domid)));
	}

	/** Another privileged connection (dom0's tools), on the main socket. */
	async connectDom0(): Promise<RawClient> {
		const c = await RawClient.connect(this.daemon.socket);
		this.clients.push(c);
		return c;
	}

	/** A new connection acting as `domid` through its emulated ring socket. */
	async connect(domid: number): Promise<RawClient> {
		const c = await RawClient.connect(this.socketOf(domid));
		this.clients.push(c);
		return c;
	}

	/** Run one of Debian's xenstore-* tools as `domid` (or as dom0 for 0). Never throws. */
	tool(domid: number, name: string, args: string[]): Promise<ToolResult> {
		const socket = domid === 0 ? this.daemon.socket : this.socketOf(domid);
		return new Promise((resolve) => {
			execFile(
				name,
				args,
				{ env: { ...process.env, XENSTORED_PATH: socket }, timeout: 10_000 },
				(error, stdout, stderr) => {
					const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
					resolve({ code, stdout, stderr });
				},
			);
		});
	}

	/** Problems CONTROL `check` finds in the store's accounting (none expected). */
	async check(): Promise<string[]> {
		const before = this.daemon.output().length;
		const marker = `check-done-${++this.checks}`;
		await this.dom0.ok(MessageType.CONTROL, strings('check'));
		// The log reaches us through a pipe: wait for a line logged after the check's.
		await this.dom0.ok(MessageType.CONTROL, strings('print', marker));
		const deadline = Date.now() + 5000;
		while (!this.daemon.output().slice(before).includes(marker)) {
			if (Date.now() > deadline) throw new Error('the daemon did not log CONTROL print');
			await new Promise((r) => setTimeout(r, 10));
		}
		return this.daemon
			.output()
			.slice(before)
			.split('\n')
			.filter((l) => l.includes('check: '));
	}

	async stop(): Promise<void> {
		for (const c of this.clients) c.close();
		this.dom0.close();
		await this.daemon.stop();
		rmSync(this.daemon.dir, { recursive: true, force: true });
	}
}
