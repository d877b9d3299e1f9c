//! `poke files ls|get|put|rm` (Pokee API), with progress bars. A download goes to
//! `<dest>.part` and is renamed when complete; run again after an interruption, it continues
//! from the bytes already there (an HTTP range request).

use super::sessions::failed;
use crate::args::{FilesCommand, FilesGetArgs, FilesPutArgs};
use crate::clients;
use crate::exit::{Failure, Outcome};
use crate::output::Output;
use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

pub async fn run(cmd: FilesCommand, out: Output) -> Outcome {
    match cmd {
        FilesCommand::Ls(args) => {
            let client = clients::pokee(&args.key)?;
            let entries = client
                .list_files(&args.session, args.dir.as_deref())
                .await
                .map_err(failed)?;
            if out.json() {
                out.data(&entries);
            } else {
                for e in &entries {
                    let name = if e.is_dir() {
                        format!("{}/", e.name)
                    } else {
                        e.name.clone()
                    };
                    out.line(format!(
                        "{:>12}  {name}",
                        if e.is_dir() {
                            "-".to_owned()
                        } else {
                            e.size.to_string()
                        }
                    ));
                }
            }
            Ok(())
        }
        FilesCommand::Get(args) => get(args, out).await,
        FilesCommand::Put(args) => put(args, out).await,
        FilesCommand::Rm(args) => {
            let client = clients::pokee(&args.key)?;
            client
                .delete_file(&args.session, &args.path)
                .await
                .map_err(failed)?;
            if out.json() {
                out.data(&serde_json::json!({"deleted": args.path}));
            } else {
                out.success(format!("Deleted {}.", args.path));
            }
            Ok(())
        }
    }
}

fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.as_os_str().to_owned();
    name.push(".part");
    PathBuf::from(name)
}

fn file_failure(path: &Path, e: &std::io::Error) -> Failure {
    Failure::new(format!("{}: {e}", path.display()))
}

async fn get(args: FilesGetArgs, out: Output) -> Outcome {
    let client = clients::pokee(&args.key)?;
    let dest = poke::binding::download_destination(&args.path, args.dest.as_deref());
    let part = part_path(&dest);
    let have = tokio::fs::metadata(&part).await.map_or(0, |m| m.len());
    let (download, start) = if have > 0 {
        match client
            .download_range(&args.session, &args.path, have, None)
            .await
        {
            Ok(d) => (d, have),
            // The file is no longer what the part came from (shorter now): start again.
            Err(e) if e.status() == Some(416) => (
                client
                    .download(&args.session, &args.path)
                    .await
                    .map_err(failed)?,
                0,
            ),
            Err(e) => return Err(failed(e)),
        }
    } else {
        (
            client
                .download(&args.session, &args.path)
                .await
                .map_err(failed)?,
            0,
        )
    };
    let total = download.content_length().map(|n| n + start);
    let bar = out.bytes_bar(total, &args.path);
    bar.set_position(start);
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(start > 0)
        .truncate(start == 0)
        .open(&part)
        .await
        .map_err(|e| file_failure(&part, &e))?;
    let mut written = start;
    let mut body = download;
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                let _ = file.flush().await;
                bar.abandon();
                return Err(Failure::new(format!(
                    "Download interrupted after {written} bytes ({e}); run the same command again to continue."
                )));
            }
        };
        file.write_all(&chunk)
            .await
            .map_err(|e| file_failure(&part, &e))?;
        written += chunk.len() as u64;
        bar.set_position(written);
    }
    file.sync_all().await.map_err(|e| file_failure(&part, &e))?;
    drop(file);
    if let Some(total) = total.filter(|t| *t != written) {
        bar.abandon();
        return Err(Failure::new(format!(
            "Download incomplete: {written} of {total} bytes; run the same command again to continue."
        )));
    }
    tokio::fs::rename(&part, &dest)
        .await
        .map_err(|e| file_failure(&dest, &e))?;
    bar.finish_and_clear();
    if out.json() {
        out.data(&serde_json::json!({"path": dest, "size": written, "resumed_from": start}));
    } else {
        out.success(format!("Saved {} ({written} bytes).", dest.display()));
    }
    Ok(())
}

async fn put(args: FilesPutArgs, out: Output) -> Outcome {
    let client = clients::pokee(&args.key)?;
    let remote = match args.path {
        Some(p) => p,
        None => args
            .src
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| Failure::new(format!("{}: not a file name", args.src.display())))?,
    };
    let len = tokio::fs::metadata(&args.src)
        .await
        .map_err(|e| file_failure(&args.src, &e))?
        .len();
    let bar = out.bytes_bar(Some(len), &remote);
    let progress = bar.clone();
    let result = client
        .upload_file(&args.session, &remote, &args.src, move |sent, _| {
            progress.set_position(sent);
        })
        .await;
    let uploaded = match result {
        Ok(uploaded) => uploaded,
        Err(e) => {
            bar.abandon();
            return Err(failed(e));
        }
    };
    bar.finish_and_clear();
    if out.json() {
        out.data(&uploaded);
    } else {
        out.success(format!(
            "Uploaded {} ({} bytes).",
            uploaded.path, uploaded.size
        ));
    }
    Ok(())
}
