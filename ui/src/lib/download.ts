// Offering text the shell produced (the meetings' calendar file) as a file to save. The shell
// sends what the page downloads to the same folder as exports (src-tauri, `open_window`).

/** The calendar file's name: "porchlight-meetings.ics". */
export const MEETINGS_FILE = "porchlight-meetings.ics";

/** Saves `text` as a file called `name` through a temporary link to a Blob. */
export function saveText(name: string, text: string, type = "text/calendar"): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has taken its copy once the click returned; a little later is safe everywhere.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
