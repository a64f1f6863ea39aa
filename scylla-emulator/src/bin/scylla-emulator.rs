//! `scylla-emulator --listen 127.0.0.1:9042 [--user U --password P]`

use std::net::SocketAddr;

fn usage() -> ! {
    eprintln!("usage: scylla-emulator [--listen ADDR:PORT] [--user USER --password PASSWORD]");
    std::process::exit(2);
}

fn main() {
    let mut listen: SocketAddr = "127.0.0.1:9042".parse().unwrap();
    let mut user = None;
    let mut password = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => {
                listen = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--user" => user = Some(args.next().unwrap_or_else(|| usage())),
            "--password" => password = Some(args.next().unwrap_or_else(|| usage())),
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let mut b = scylla_emulator::Emulator::builder().listen(listen);
        if let (Some(u), Some(p)) = (user, password) {
            b = b.credentials(u, p);
        }
        let h = match b.start().await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("scylla-emulator: cannot listen on {listen}: {e}");
                std::process::exit(1);
            }
        };
        println!("scylla-emulator listening on {}", h.addr());
        let _ = tokio::signal::ctrl_c().await;
        h.shutdown().await;
    });
}
