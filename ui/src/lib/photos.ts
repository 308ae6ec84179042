// Getting a picked picture to the shell: the file is read as a data URL here, and the shell
// (`add_photo`) checks it, strips every piece of metadata and keeps the clean copy.

/** Encodes bytes as base64 in chunks (a whole photo in one `String.fromCharCode` call overflows). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** `data:<type>;base64,<payload>`; a blob without a type is sent as octet-stream (the shell sniffs it). */
export function toDataUrl(type: string, bytes: Uint8Array): string {
  return `data:${type || "application/octet-stream"};base64,${bytesToBase64(bytes)}`;
}

/** Reads a picked file as a data URL: FileReader in the web view, the Blob's bytes elsewhere. */
export function readAsDataUrl(file: Blob): Promise<string> {
  if (typeof FileReader === "undefined") {
    return file.arrayBuffer().then((buf) => toDataUrl(file.type, new Uint8Array(buf)));
  }
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("the file could not be read"));
    reader.readAsDataURL(file);
  });
}

/** Adds `hash` to `list` unless it is there already (the same picture picked twice). */
export function addHash(list: readonly string[], hash: string): string[] {
  return list.includes(hash) ? [...list] : [...list, hash];
}
