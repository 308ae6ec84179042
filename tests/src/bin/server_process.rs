//! A Porchlight sync server in a process of its own, for tests that kill it (SIGKILL) or
//! measure it (memory). Settings come from the `PORCHLIGHT_*` environment, as for
//! `porchlight serve` (`porchlight_server::Settings::load`). Once it accepts connections it prints
//! one line, `listening ADDR`, on standard output; it runs until it is killed.

use std::io::Write;

fn main() {
    let settings = match porchlight_server::Settings::load(None) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("server-process: {e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(settings.listen).await?;
        let addr = listener.local_addr()?;
        let mut out = std::io::stdout();
        writeln!(out, "listening {addr}")?;
        out.flush()?;
        porchlight_server::launch_with_listener(settings, listener, std::future::pending()).await
    });
    if let Err(e) = served {
        eprintln!("server-process: {e}");
        std::process::exit(1);
    }
}
