/** `npm start`: the HTTP server, configured from the environment (see the README's table). */
import { startServer } from './start.js';

await startServer();
