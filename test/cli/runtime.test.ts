import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { OLDEST_NODE, unsupportedNode } from '../../src/cli/runtime.ts';
import { TSXENSTORED } from '../harness/daemons.ts';

describe('the Node.js the programs need', () => {
	it("is package.json's engines", () => {
		const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
		assert.equal(pkg.engines.node, `>=${OLDEST_NODE.join('.')}`);
	});

	it('refuses older versions by number, not by text', () => {
		assert.match(unsupportedNode('20.20.2') ?? '', /Node\.js 20\.20\.2 is too old: 22\.15 or later/);
		assert.notEqual(unsupportedNode('22.14.9'), undefined);
		assert.notEqual(unsupportedNode('9.99.0'), undefined);
		assert.equal(unsupportedNode('22.15.0'), undefined);
		assert.equal(unsupportedNode('23.0.0'), undefined);
		assert.equal(unsupportedNode('100.1.0'), undefined);
	});

	// Every machine runs the tests on a current Node.js: this one is made to say it is 20.1.0.
	it('makes the daemon exit at once under an older Node.js, saying why', () => {
		const pretend = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.1.0"})';
		const run = spawnSync(process.execPath, ['--import', pretend, TSXENSTORED, '--no-fork'], {
			encoding: 'utf8',
			timeout: 10_000,
		});
		assert.equal(run.status, 1);
		assert.match(run.stderr, /^tsxenstored: Node\.js 20\.1\.0 is too old: 22\.15 or later is needed/);
	});
});
