// Writes what a careless page writes before any consent: a patterned analytics id, a Matomo-style
// id for two years, a cookie after a delay, and the three kinds of browser storage.
document.cookie = "_ga=GA1.1.1234567890.1700000000; max-age=63072000; path=/";
document.cookie = "_pk_id.1.a1b2=visitor; max-age=63072000; path=/";
setTimeout(function () { document.cookie = "late_cookie=1; max-age=3600; path=/"; }, 400);
localStorage.setItem("ls_key", "1");
sessionStorage.setItem("ss_key", "1");
indexedDB.open("idb_name", 1);
