// @reco/web: the client-side recommender for web pages.
//
//   import { createRecommender } from '@reco/web';
//   const reco = await createRecommender('/bundles/ml-latest-small/');
//   await reco.addEvent('318', 5);
//   const { items } = await reco.recommend({ k: 10 });
//
// createRecommender runs the engine in a Web Worker wherever one exists (browsers), and
// on the calling thread elsewhere or with {worker: false}; either way every method
// returns a Promise. The history stays in this runtime: nothing is sent anywhere.
import { Recommender, setWasmUrl, loadModule } from './engine.mjs';
import { RecommenderWorker } from './worker-client.mjs';
import { fetchBundle, sha256Hex, verifySection, parseManifest, deferrableSections } from './bundle-fetch.mjs';
import { recommenderMethods } from './methods.mjs';


/** The async interface over an in-thread Recommender (the same as RecommenderWorker's). */
export class InlineRecommender {
  constructor(recommender) {
    this.recommender = recommender;
  }
}
for (const name of [...recommenderMethods, 'dispose']) {
  InlineRecommender.prototype[name] = async function call(...args) {
    return this.recommender[name](...args);
  };
}

/**
 * Loads a bundle and returns the recommender.
 * @param {string|URL|{manifest: object, files: Record<string, Uint8Array>}} source bundle folder URL or fetched files
 * @param {{worker?: boolean, workerUrl?: string|URL, wasmUrl?: string, ortWasmPaths?: string, fetch?: typeof fetch}} [options]
 */
export async function createRecommender(source, options = {}) {
  const { worker = typeof Worker !== 'undefined', ...rest } = options;
  if (worker) return RecommenderWorker.load(source, rest);
  return new InlineRecommender(await Recommender.load(source, rest));
}

export { Recommender, RecommenderWorker, setWasmUrl, loadModule, fetchBundle, sha256Hex, verifySection, parseManifest, deferrableSections };
