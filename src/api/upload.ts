/**
 * The files of an upload: a JSON body listing them, a .tar.gz of them, or multipart parts (each a file or
 * a .tar.gz). Bounded in size and count; names are kept relative and clean.
 */
import { gunzipSync } from 'node:zlib';
import { InputError } from '../core/problem.js';
import { isInputFileName, isNdjson, type InputFile } from '../core/snapshot.js';

export const MAX_FILES = 10_000;

/** A file name as it will appear in explanations: relative, '/'-separated, no '..'. */
export function cleanName(name: string, pointer: string): string {
  const parts = name.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
  if (!parts.length || parts.some((p) => p === '..') || name.length > 512) throw new InputError('invalid_request', pointer, `'${name}' is not a usable file name`);
  return parts.join('/');
}

export interface JsonUpload {
  name?: string;
  activate?: boolean;
  files: { name: string; content: unknown }[];
}

/**
 * Files of a JSON upload; an object content is kept as indented JSON text, so answers can cite its lines.
 * An array given for an NDJSON file becomes one line per item.
 */
export function filesFromJson(body: JsonUpload): InputFile[] {
  return body.files.map((f, i) => {
    const name = cleanName(f.name, `/files/${i}/name`);
    const text =
      typeof f.content === 'string'
        ? f.content
        : isNdjson(name) && Array.isArray(f.content)
          ? f.content.map((line) => JSON.stringify(line)).join('\n') + '\n'
          : JSON.stringify(f.content, null, 2);
    return { name, text };
  });
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
}

/** The JSON and NDJSON files of a gzipped tar archive (ustar, with GNU long names); other entries are skipped. */
export function filesFromTarGz(data: Buffer, maxBytes: number): InputFile[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(data, { maxOutputLength: maxBytes });
  } catch (e) {
    const tooBig = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new InputError(tooBig ? 'body_too_large' : 'invalid_request', '', tooBig ? `the archive unpacks to more than ${maxBytes} bytes` : 'the body is not a gzip archive', tooBig ? 413 : 400);
  }
  const files: InputFile[] = [];
  let longName: string | undefined;
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0) throw new InputError('invalid_request', '', 'the archive has a corrupt header');
    const type = String.fromCharCode(header[156] || 48);
    const body = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = field(body, 0, body.length);
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    if ((type !== '0' && type !== '7') || !isInputFileName(name)) continue;
    if (files.length >= MAX_FILES) throw new InputError('too_large', '', `more than ${MAX_FILES} files in the archive`, 413);
    files.push({ name: cleanName(name, ''), text: body.toString('utf8') });
  }
  return files;
}

export function isTarGz(name: string, type: string | undefined): boolean {
  return /\.(tar\.gz|tgz)$/i.test(name) || /^application\/(gzip|x-gzip|x-tar\+gzip|x-gtar)$/i.test(type ?? '');
}
