use super::*;
use crate::generate_signing_key;

struct Group {
    id: GroupId,
    root: SigningKey,
    certs: Vec<MemberCert>,
    revocations: Vec<Revocation>,
}

impl Group {
    fn new() -> Self {
        Self {
            id: GroupId::random(),
            root: generate_signing_key(),
            certs: Vec::new(),
            revocations: Vec::new(),
        }
    }

    fn certify(&mut self, by: &SigningKey, member: &SigningKey, role: Role) {
        let cert = MemberCert::issue(by, self.id, pk(member), role, 1);
        self.certs.push(cert);
    }

    fn revoke(&mut self, by: &SigningKey, member: &SigningKey) {
        self.revocations
            .push(Revocation::issue(by, self.id, pk(member), 2));
    }

    fn roster(&self) -> Roster {
        Roster::verify(self.id, pk(&self.root), &self.certs, &self.revocations)
    }
}

fn pk(key: &SigningKey) -> [u8; 32] {
    key.verifying_key().to_bytes()
}

fn role_of(roster: &Roster, key: &SigningKey) -> Option<Role> {
    roster
        .member(&device_id_from_public_key(&pk(key)))
        .map(|m| m.role)
}

#[test]
fn the_root_alone_is_a_coordinator() {
    let g = Group::new();
    let roster = g.roster();
    assert_eq!(role_of(&roster, &g.root), Some(Role::Coordinator));
    assert_eq!(roster.seal_keys().len(), 1);
}

#[test]
fn members_chain_through_coordinators() {
    let mut g = Group::new();
    let (coord, resident) = (generate_signing_key(), generate_signing_key());
    let root = g.root.clone();
    g.certify(&root, &coord, Role::Coordinator);
    g.certify(&coord, &resident, Role::Resident);
    let roster = g.roster();
    assert_eq!(role_of(&roster, &coord), Some(Role::Coordinator));
    assert_eq!(role_of(&roster, &resident), Some(Role::Resident));
    assert_eq!(
        roster.seal_keys().len(),
        2,
        "residents never receive reports"
    );
}

#[test]
fn certificates_not_chaining_to_the_root_are_ignored() {
    let mut g = Group::new();
    let (operator, volunteer, victim) = (
        generate_signing_key(),
        generate_signing_key(),
        generate_signing_key(),
    );
    let root = g.root.clone();
    // The server operator signs itself in as coordinator: nobody vouches for its key.
    g.certify(&operator, &operator, Role::Coordinator);
    g.certify(&operator, &victim, Role::Coordinator);
    // A volunteer cannot certify anyone.
    g.certify(&root, &volunteer, Role::Volunteer);
    g.certify(&volunteer, &victim, Role::Coordinator);
    let roster = g.roster();
    assert_eq!(role_of(&roster, &operator), None);
    assert_eq!(role_of(&roster, &victim), None);
    assert_eq!(role_of(&roster, &volunteer), Some(Role::Volunteer));
    assert_eq!(roster.seal_keys().len(), 1);
}

#[test]
fn an_altered_certificate_is_ignored() {
    let mut g = Group::new();
    let member = generate_signing_key();
    let root = g.root.clone();
    g.certify(&root, &member, Role::Resident);
    g.certs[0].role = Role::Coordinator;
    assert_eq!(role_of(&g.roster(), &member), None);
    // ...and so is a genuine one from another group.
    let mut other = Group::new();
    other.root = root.clone();
    other.certify(&root, &member, Role::Resident);
    g.certs = other.certs;
    assert_eq!(role_of(&g.roster(), &member), None);
}

#[test]
fn revoking_a_coordinator_removes_it_and_what_only_it_vouched_for() {
    let mut g = Group::new();
    let (coord, resident) = (generate_signing_key(), generate_signing_key());
    let root = g.root.clone();
    g.certify(&root, &coord, Role::Coordinator);
    g.certify(&coord, &resident, Role::Resident);
    g.revoke(&root, &coord);
    let roster = g.roster();
    assert_eq!(role_of(&roster, &coord), None);
    assert_eq!(role_of(&roster, &resident), None);
    assert_eq!(
        roster.seal_keys().len(),
        1,
        "its sealing key is gone at once"
    );
    // Another coordinator re-certifies the resident.
    g.certify(&root, &resident, Role::Resident);
    assert_eq!(role_of(&g.roster(), &resident), Some(Role::Resident));
}

#[test]
fn revocations_by_strangers_are_ignored_and_the_root_stays() {
    let mut g = Group::new();
    let (member, stranger, coord) = (
        generate_signing_key(),
        generate_signing_key(),
        generate_signing_key(),
    );
    let root = g.root.clone();
    g.certify(&root, &member, Role::Resident);
    g.certify(&root, &coord, Role::Coordinator);
    g.revoke(&stranger, &member);
    g.revoke(&coord, &root);
    let roster = g.roster();
    assert_eq!(role_of(&roster, &member), Some(Role::Resident));
    assert_eq!(role_of(&roster, &root), Some(Role::Coordinator));
}

#[test]
fn a_revoked_coordinators_earlier_revocations_still_count() {
    let mut g = Group::new();
    let (a, b) = (generate_signing_key(), generate_signing_key());
    let root = g.root.clone();
    g.certify(&root, &a, Role::Coordinator);
    g.certify(&root, &b, Role::Volunteer);
    g.revoke(&a, &b);
    g.revoke(&root, &a);
    let roster = g.roster();
    assert_eq!(role_of(&roster, &b), None);
    assert!(roster.is_revoked(&device_id_from_public_key(&pk(&b))));
}

#[test]
fn join_evidence_needs_a_coordinators_invite_and_the_secret() {
    let mut g = Group::new();
    let root = g.root.clone();
    let volunteer = generate_signing_key();
    g.certify(&root, &volunteer, Role::Volunteer);
    let roster = g.roster();
    let newcomer = generate_signing_key();
    let secret = [9u8; 16];
    let invite = SignedInvite::issue(&root, g.id, [1; 16], &secret, Role::Resident, 1, 100);
    let proof = join_proof(&secret, &g.id, &[1; 16], &pk(&newcomer), "Ann");
    let evidence = JoinEvidence {
        invite: invite.clone(),
        proof,
        signature: None,
    };
    assert_eq!(
        evidence.verify(&roster, &pk(&newcomer), "Ann"),
        Some(Role::Resident)
    );
    // The proof is bound to the key and the name it was made for.
    let operator = generate_signing_key();
    assert_eq!(evidence.verify(&roster, &pk(&operator), "Ann"), None);
    assert_eq!(evidence.verify(&roster, &pk(&newcomer), "Bob"), None);
    // An invite with a raised role no longer verifies.
    let mut raised = evidence.clone();
    raised.invite.role = Role::Coordinator;
    assert_eq!(raised.verify(&roster, &pk(&newcomer), "Ann"), None);
    // The operator mints its own invite: it is no coordinator of the group.
    let secret2 = [7u8; 16];
    let minted = SignedInvite::issue(
        &operator,
        g.id,
        [2; 16],
        &secret2,
        Role::Coordinator,
        1,
        100,
    );
    let forged = JoinEvidence {
        proof: join_proof(&secret2, &g.id, &[2; 16], &pk(&operator), "Op"),
        invite: minted,
        signature: None,
    };
    assert_eq!(forged.verify(&roster, &pk(&operator), "Op"), None);
    // A volunteer's invite does not count either.
    let by_volunteer =
        SignedInvite::issue(&volunteer, g.id, [3; 16], &secret2, Role::Resident, 1, 100);
    let evidence = JoinEvidence {
        proof: join_proof(&secret2, &g.id, &[3; 16], &pk(&newcomer), "Ann"),
        invite: by_volunteer,
        signature: None,
    };
    assert_eq!(evidence.verify(&roster, &pk(&newcomer), "Ann"), None);
}

#[test]
fn certificates_round_trip_as_bytes_and_garbage_is_an_error() {
    let g = Group::new();
    let cert = MemberCert::issue(&g.root, g.id, pk(&g.root), Role::Coordinator, 5);
    assert_eq!(MemberCert::from_bytes(&cert.to_bytes()).unwrap(), cert);
    assert!(MemberCert::from_bytes(&[0xff, 0x00]).is_err());
    let rev = Revocation::issue(&g.root, g.id, [1; 32], 5);
    assert_eq!(Revocation::from_bytes(&rev.to_bytes()).unwrap(), rev);
}

/// A hub's relay rebuilds a member's join request from the evidence a server kept. Evidence
/// without the device's signature, or with a "signature" of the wrong length (a server or hub
/// that lies), gives no request to forward rather than a panic or a padded one.
#[test]
fn a_join_request_is_rebuilt_only_from_a_whole_signature() {
    let g = Group::new();
    let root = g.root.clone();
    let newcomer = generate_signing_key();
    let secret = [9u8; 16];
    let invite = SignedInvite::issue(&root, g.id, [1; 16], &secret, Role::Resident, 1, 100);
    let proof = join_proof(&secret, &g.id, &[1; 16], &pk(&newcomer), "Ann");
    let mut evidence = JoinEvidence {
        invite,
        proof,
        signature: None,
    };
    assert!(evidence.join_request(pk(&newcomer), "Ann").is_none());
    evidence.signature = Some(serde_bytes::ByteBuf::from(vec![7u8; 63]));
    assert!(evidence.join_request(pk(&newcomer), "Ann").is_none());
    evidence.signature = Some(serde_bytes::ByteBuf::from(vec![7u8; 64]));
    let request = evidence.join_request(pk(&newcomer), "Ann").unwrap();
    assert_eq!(
        (request.invite, request.proof, request.signature),
        ([1; 16], proof, [7u8; 64])
    );
    assert_eq!(request.public_key, pk(&newcomer));
}
