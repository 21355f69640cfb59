import cases from './cases/watches.ts';
import { defineDifferentialSuite } from './differential.ts';

defineDifferentialSuite('differential: watches', cases);
