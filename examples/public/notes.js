// The notes page: lists, adds and deletes notes through examples/notes.lua's JSON API.
const api = "/notes/api/notes";
const list = document.getElementById("notes");
const error = document.getElementById("error");

async function refresh() {
  const notes = await (await fetch(api)).json();
  list.replaceChildren(...notes.map((note) => {
    const item = document.createElement("li");
    const text = document.createElement("span");
    text.textContent = note.text;
    const remove = document.createElement("button");
    remove.textContent = "×";
    remove.title = "Delete";
    remove.onclick = async () => { await fetch(`${api}/${note.id}`, { method: "DELETE" }); refresh(); };
    item.append(text, remove);
    return item;
  }));
}

document.getElementById("add").onsubmit = async (event) => {
  event.preventDefault();
  const input = document.getElementById("text");
  const response = await fetch(api, { method: "POST", headers: { "Content-Type": "application/json" },
                                      body: JSON.stringify({ text: input.value }) });
  error.textContent = response.ok ? "" : (await response.json()).error;
  if (response.ok) input.value = "";
  refresh();
};

refresh();
