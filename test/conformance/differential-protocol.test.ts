import cases from './cases/protocol.ts';
import { defineDifferentialSuite } from './differential.ts';

defineDifferentialSuite('differential: protocol', cases);
