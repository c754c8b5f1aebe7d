// The recommender's methods, in one list: the in-thread Recommender has them all; the
// worker and the async wrapper forward exactly these (dispose is handled by each).
export const recommenderMethods = [
  'info', 'item', 'hasItem', 'items', 'addEvent', 'removeItem', 'clearHistory', 'history', 'setHistory',
  'recommend', 'similar', 'explain', 'embed', 'search', 'addItem',
];
