import { appendFileSync } from 'node:fs';
import type { ControlHost, DomainUsage, Session } from '../ops/context.ts';
import type { Daemon } from './daemon.ts';

/** The daemon side of CONTROL: trace log, reports, the log line of `print`, live update. */
export class ControlService implements ControlHost {
	private readonly daemon: Daemon;

	constructor(daemon: Daemon) {
		this.daemon = daemon;
	}

	setTraceLog(on: boolean): void {
		this.daemon.tracer.setEnabled(on);
	}

	setTraceFile(file: string): void {
		this.daemon.tracer.setFile(file);
	}

	memoryReport(file: string | undefined): boolean {
		const target = file ?? this.daemon.tracer.path;
		if (target === undefined) return false;
		const mem = process.memoryUsage();
		const { store, connections } = this.daemon;
		let transactions = 0;
		for (const c of connections.values()) transactions += c.transactions.size;
		const lines = [
			`memory report ${new Date().toISOString()}`,
			`rss ${mem.rss} heap-used ${mem.heapUsed} heap-total ${mem.heapTotal} external ${mem.external} array-buffers ${mem.arrayBuffers}`,
			`nodes ${store.tree.nodeCount} watches ${store.watches.size} connections ${connections.size} transactions ${transactions}`,
			...[...store.accounts.entries()].map(
				([domid, u]) => `domain ${domid}: ${u.nodes} nodes, ${u.bytes} bytes`,
			),
		];
		try {
			appendFileSync(target, `${lines.join('\n')}\n`);
			return true;
		} catch (e) {
			this.daemon.log.warn(`memreport: cannot write ${target}: ${(e as Error).message}`);
			return false;
		}
	}

	print(text: string): void {
		this.daemon.log.info(text);
		this.daemon.tracer.line(text);
	}

	domainUsage(domid: number): DomainUsage | undefined {
		if (this.daemon.store.domains.get(domid) === undefined) return undefined;
		const { watches, transactions } = this.daemon.domainService.usage(domid);
		return { watches, transactions, outstanding: 0, memory: this.daemon.store.accounts.get(domid).bytes };
	}

	liveUpdate(session: Session, args: string[], reqId: number, txId: number): string | Promise<string> {
		return this.daemon.liveUpdate.handle(session, args, reqId, txId);
	}
}
