/**
 * The hostile-input properties in `npm test`: a short run of each (see hostile-input.ts); the
 * chaos suite (test/chaos/hostile-input.chaos.ts) runs the same properties far longer.
 */
import t from 'tap'
import { hostileInputProperties } from './hostile-input.js'

await hostileInputProperties(t, 100)
