// Tests run with the local stack's environment (quiet Powertools, the Promise polyfill).
import '../../local/setup';
