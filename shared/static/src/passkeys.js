// Passkeys (WebAuthn) on federation's pages: buttons marked data-passkey="register"
// (security page) or data-passkey="signin" (sign-in, and the second step with
// data-second-factor). The server's options and the browser's answer travel as
// WebAuthn's JSON forms (parse*OptionsFromJSON / toJSON). Without this script,
// or without WebAuthn, the buttons say so and the other ways of signing in work.

function csrfToken() {
  const field = document.querySelector('input[name="csrf_token"]');
  return field ? field.value : "";
}

function say(button, text) {
  const status = button.parentElement.querySelector("[data-passkey-status]");
  if (status) status.textContent = text;
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `The server answered ${response.status}.`);
  return data;
}

async function register(button) {
  const started = await post("/security/passkeys/options", {});
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(started.options);
  const credential = await navigator.credentials.create({ publicKey });
  const nameField = document.getElementById("passkey-name");
  await post("/security/passkeys", {
    handle: started.handle,
    credential: credential.toJSON(),
    name: nameField ? nameField.value : "",
  });
  say(button, "Passkey added.");
  window.location.assign("/security");
}

async function signIn(button) {
  const secondFactor = button.dataset.secondFactor === "1";
  const started = await post("/signin/passkey/options", { second_factor: secondFactor });
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(started.options);
  const credential = await navigator.credentials.get({ publicKey });
  const done = await post("/signin/passkey", {
    handle: started.handle,
    credential: credential.toJSON(),
    next: button.dataset.next || "",
  });
  window.location.assign(done.redirect);
}

for (const button of document.querySelectorAll("[data-passkey]")) {
  if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
    button.disabled = true;
    say(button, "This browser cannot use passkeys.");
    continue;
  }
  const action = button.dataset.passkey === "register" ? register : signIn;
  button.addEventListener("click", () => {
    say(button, "");
    action(button).catch((error) => say(button, error.message || String(error)));
  });
}
