/** The console page's entry: defines its elements; index.html holds `<sb-console>`. */
import './console-app.js';

export { ConsoleApp } from './console-app.js';
export { DeskApi } from './desk-api.js';
